/**
 * Operator CLI for Digipoort WUS:  npm run wus -- <command> [options]
 *
 *   send            aanleveren of a file        --berichtsoort B --file F --nummer N [--type Fi] [--rol Bedrijf]
 *                                               [--aanleverkenmerk K] [--mime-type application/xml] [--bestandsnaam X]
 *   status          getStatussenProces          --kenmerk K
 *   new-statuses    getNieuweStatussenProces    --kenmerk K
 *   processes       getProcessen                --berichtsoort B --nummer N [--type Fi]
 *   berichtsoorten  getBerichtsoorten           --nummer N [--type Fi]
 *
 * Connection: --endpoint-base URL --pfx FILE (--passphrase-file FILE | WUS_PFX_PASSPHRASE) --ca FILE [--crl FILE]
 * --service-cert FILE [--hash sha1|sha256]; the DIGIPOORT_* variables give the defaults. JSON on stdout; a fault's
 * code on stderr and exit code 2; a usage error (unknown command or option, missing or extra argument) exit code 64
 * (EX_USAGE); any other failure exit code 1.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnv } from '../config/env';
import { openPkcs12 } from '../integrations/pki/pkcs12';
import { WusClient } from '../integrations/wus/client';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../integrations/wus/errors';
import type { HashChoice } from '../integrations/wus/protocol';
import { pemBlocks } from '../integrations/pki/pem';

const COMMANDS = ['send', 'status', 'new-statuses', 'processes', 'berichtsoorten'] as const;
type Command = (typeof COMMANDS)[number];

class UsageError extends Error {}

function usage(): string {
  return readFileSync(__filename, 'utf8').split('*/')[0].replace(/^\/\*\*?\n?/, '').replace(/^ \* ?/gm, '');
}

const OPTIONS = {
  'endpoint-base': { type: 'string' },
  pfx: { type: 'string' },
  'passphrase-file': { type: 'string' },
  ca: { type: 'string' },
  crl: { type: 'string' },
  'service-cert': { type: 'string' },
  hash: { type: 'string' },
  berichtsoort: { type: 'string' },
  file: { type: 'string' },
  nummer: { type: 'string' },
  type: { type: 'string' },
  rol: { type: 'string' },
  aanleverkenmerk: { type: 'string' },
  'mime-type': { type: 'string' },
  bestandsnaam: { type: 'string' },
  kenmerk: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** node:util's parseArgs, with its refusals (unknown option, option without value) as usage errors (exit 64). */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    if (String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${(err as Error).message}\n\n${usage()}`);
    }
    throw err;
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandLine(argv);
  const command = positionals[0] as Command;
  if (values.help) throw new UsageError(usage());
  if (!COMMANDS.includes(command)) {
    throw new UsageError(`${command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`}\n\n${usage()}`);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}\n\n${usage()}`);
  const need = (name: keyof typeof values, fallback?: string): string => {
    const value = (values[name] as string | undefined) ?? fallback;
    if (!value) throw new UsageError(`missing --${name}\n\n${usage()}`);
    return value;
  };
  const hash = need('hash', readEnv('DIGIPOORT_HASH'));
  if (hash !== 'sha1' && hash !== 'sha256') throw new UsageError('--hash must be sha1 or sha256');
  const passphrase = values['passphrase-file']
    ? readFileSync(values['passphrase-file'], 'utf8').replace(/\r?\n$/, '')
    : readEnv('WUS_PFX_PASSPHRASE');
  if (passphrase === undefined) throw new UsageError('give --passphrase-file or set WUS_PFX_PASSPHRASE');
  const opened = openPkcs12(readFileSync(need('pfx')), passphrase);
  const crlFile = values.crl ?? readEnv('DIGIPOORT_CRL_FILE');
  const client = new WusClient({
    endpointBase: need('endpoint-base', readEnv('DIGIPOORT_ENDPOINT_BASE')),
    credentials: { privateKey: opened.privateKey, certificatePem: opened.certificatePem, chainPem: opened.chainPem },
    trust: {
      ca: pemBlocks(readFileSync(need('ca', readEnv('DIGIPOORT_CA_FILE')), 'utf8')),
      crl: crlFile ? pemBlocks(readFileSync(crlFile, 'utf8')) : undefined,
    },
    serviceCertificatePem: readFileSync(need('service-cert', readEnv('DIGIPOORT_SERVICE_CERT_FILE')), 'utf8'),
    hash: hash as HashChoice,
    timeoutMs: Number(readEnv('DIGIPOORT_TIMEOUT_MS')),
  });
  const identiteit = () => ({ nummer: need('nummer'), type: values.type ?? 'Fi' });
  try {
    let output: unknown;
    switch (command) {
      case 'send': {
        const file = need('file');
        const { result, messageId } = await client.aanleveren({
          berichtsoort: need('berichtsoort'),
          aanleverkenmerk: values.aanleverkenmerk,
          identiteitBelanghebbende: identiteit(),
          rolBelanghebbende: values.rol ?? 'Bedrijf',
          berichtInhoud: {
            mimeType: values['mime-type'] ?? 'application/xml',
            bestandsnaam: values.bestandsnaam ?? file.split('/').pop()!,
            inhoud: readFileSync(file),
          },
        });
        output = { ...result, requestMessageId: messageId };
        break;
      }
      case 'status':
        output = await client.getStatussenProces({ kenmerk: need('kenmerk') });
        break;
      case 'new-statuses':
        output = await client.getNieuweStatussenProces({ kenmerk: need('kenmerk') });
        break;
      case 'processes':
        output = await client.getProcessen({ berichtsoort: need('berichtsoort'), identiteitBelanghebbende: identiteit() });
        break;
      case 'berichtsoorten':
        output = await client.getBerichtsoorten({ identiteitBelanghebbende: identiteit() });
        break;
    }
    process.stdout.write(JSON.stringify(output, null, 2) + '\n');
    return 0;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(64);
    }
    if (err instanceof WusFault) {
      process.stderr.write(`${err.foutcode}\n${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof WusTransportError || err instanceof WusSecurityError || err instanceof WusRequestError) {
      process.stderr.write(`${err.name}: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
