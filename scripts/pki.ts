/**
 * `npm run pki -- --out DIR [--organisations FILE.json]`: writes a fresh TEST PKI (CAs, CRLs, simulator server and
 * signing certificates, one PKCS#12 per organisation) into DIR and prints what it wrote. Passphrases stay in their
 * files (mode 0600) and are never printed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  generateTestPki,
  validateOrganisations,
  type OrganisationSpec,
  type PkiManifest,
} from '../simulator/pki/generate';

const USAGE = `usage: npm run pki -- --out DIR [--organisations FILE.json] [--server-hostname NAME]...

  --out DIR                  directory to write the test PKI into (created if missing; existing files are replaced)
  --organisations FILE.json  JSON array of { "slug", "name", "kvkNumber", "status"?: "valid" | "expired" | "revoked" }
                             (default: a holding, its offices, a service bureau, an expired and a revoked certificate)
  --server-hostname NAME     extra DNS name for the simulator's server certificate (besides localhost, 127.0.0.1)`;

class UsageError extends Error {}

function parseCommandLine(argv: string[]): { outDir: string; organisationsFile?: string; serverHostnames: string[] } {
  let values: { out?: string; organisations?: string; 'server-hostname'?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        organisations: { type: 'string' },
        'server-hostname': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.out) throw new UsageError('--out DIR is required');
  return {
    outDir: path.resolve(values.out),
    organisationsFile: values.organisations,
    serverHostnames: values['server-hostname'] ?? [],
  };
}

function readOrganisations(file: string): OrganisationSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--organisations ${file}: ${(err as Error).message}`);
  }
  const isSpec = (item: unknown): item is OrganisationSpec => {
    const spec = item as Partial<Record<keyof OrganisationSpec, unknown>> | null;
    return (
      typeof spec === 'object' &&
      spec !== null &&
      typeof spec.slug === 'string' &&
      typeof spec.name === 'string' &&
      typeof spec.kvkNumber === 'string' &&
      (spec.status === undefined || typeof spec.status === 'string')
    );
  };
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(isSpec)) {
    throw new UsageError(
      `--organisations ${file}: expected a non-empty JSON array of { slug, name, kvkNumber, status? }`,
    );
  }
  try {
    validateOrganisations(parsed);
  } catch (err) {
    throw new UsageError(`--organisations ${file}: ${(err as Error).message}`);
  }
  return parsed;
}

function printSummary(outDir: string, manifest: PkiManifest): void {
  const { crls, untrusted } = manifest;
  const lines = [
    `TEST PKI written to ${outDir} (NOT FOR PRODUCTION)`,
    `  trust anchor      ${manifest.rootCa.certificateFile}  (${manifest.rootCa.subject})`,
    `  intermediate      ${manifest.intermediateCa.certificateFile}, chain ${manifest.caChainFile}`,
    `  CRLs              ${crls.rootCrlFile}, ${crls.intermediateCrlFile}, bundle ${crls.bundleFile}` +
      ` (next update ${crls.nextUpdate})`,
    `  simulator TLS     ${manifest.simulatorServer.certificateFile} + ${manifest.simulatorServer.keyFile}`,
    `  simulator signing ${manifest.serviceSigning.certificateFile} + ${manifest.serviceSigning.keyFile}`,
    '  client certificates (PKCS#12 + passphrase file, mode 0600):',
    ...manifest.organisations.map(
      (client) =>
        `    ${client.slug.padEnd(15)} ${client.pkcs12File} + ${client.passphraseFile}  ${client.organisationName},` +
        ` KvK ${client.kvkNumber}, HRN ${client.hrn}, ${client.status} (notAfter ${client.notAfter})`,
    ),
    '  negative tests:',
    `    ${untrusted.rootCa.certificateFile}, ${untrusted.server.certificateFile} + ${untrusted.server.keyFile}`,
    `    ${untrusted.selfSignedClient.pkcs12File} + ${untrusted.selfSignedClient.passphraseFile} (self-signed client)`,
    `  manifest          manifest.json`,
  ];
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const { outDir, organisationsFile, serverHostnames } = parseCommandLine(process.argv.slice(2));
  const organisations = organisationsFile ? readOrganisations(organisationsFile) : undefined;
  const manifest = await generateTestPki({ outDir, organisations, serverHostnames });
  printSummary(outDir, manifest);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`pki: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`pki: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
