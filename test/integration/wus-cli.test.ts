import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths';
import { organisation, pkiDir, vatInstance } from '../helpers/wus';

/** `npm run wus -- <command>` as an operator runs it: JSON on stdout; a fault code on stderr with a non-zero exit. */
function wus(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/wus.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
}

describe('operator CLI (npm run wus)', () => {
  const dir = pkiDir();
  const holding = organisation('holding');
  const connection = [
    '--endpoint-base', process.env.SIMULATOR_URL as string,
    '--pfx', path.join(dir, holding.pkcs12File),
    '--passphrase-file', path.join(dir, holding.passphraseFile),
    '--ca', path.join(dir, 'root-ca.pem'),
    '--crl', path.join(dir, 'crls.pem'),
    '--service-cert', path.join(dir, 'digipoort-service.pem'),
  ];
  const file = path.join(process.env.TEST_RUN_DIR as string, 'cli-aangifte.xbrl');
  beforeAll(() => writeFileSync(file, vatInstance('001000044B37')));

  it('send, then status and new-statuses, processes and berichtsoorten print JSON', async () => {
    const send = wus(['send', ...connection, '--berichtsoort', 'Omzetbelasting', '--nummer', '001000044B37', '--file', file, '--hash', 'sha256']);
    expect(send.stderr).toBe('');
    expect(send.status).toBe(0);
    const { kenmerk } = JSON.parse(send.stdout) as { kenmerk: string };
    await new Promise((r) => setTimeout(r, 800));
    const status = wus(['status', ...connection, '--kenmerk', kenmerk]);
    expect(status.status).toBe(0);
    expect((JSON.parse(status.stdout) as { statuscode: string }[]).map((s) => s.statuscode)).toEqual([
      '105', '100', '110', '200', '301', '301', '405', '400', '500',
    ]);
    const fresh = wus(['new-statuses', ...connection, '--kenmerk', kenmerk]);
    expect(JSON.parse(fresh.stdout)).toHaveLength(9);
    const processes = wus(['processes', ...connection, '--berichtsoort', 'Omzetbelasting', '--nummer', '001000044B37']);
    expect((JSON.parse(processes.stdout) as { kenmerk: string }[]).map((p) => p.kenmerk)).toContain(kenmerk);
    const soorten = wus(['berichtsoorten', ...connection, '--nummer', '001000044B37']);
    expect(JSON.parse(soorten.stdout)).toContain('Omzetbelasting');
  });

  it('a fault: the fault code on stderr and exit code 2; the passphrase may come from the environment', () => {
    const args = ['send', ...connection, '--berichtsoort', 'Omzetbelasting', '--nummer', '001000044B37', '--file', file, '--aanleverkenmerk', 'AanleverFault'];
    const passphraseAt = args.indexOf('--passphrase-file');
    const passphrase = readFileSync(args[passphraseAt + 1], 'utf8').trim();
    args.splice(passphraseAt, 2);
    const result = wus(args, { WUS_PFX_PASSPHRASE: passphrase });
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('ALS100');
    expect(result.stdout).toBe('');
  });

  it('usage errors exit 64 and name what is missing; a wrong passphrase is refused without echoing it', () => {
    const missing = wus(['status', ...connection]);
    expect(missing.status).toBe(64);
    expect(missing.stderr).toContain('missing --kenmerk');
    const wrong = wus(['status', ...connection.filter((_, i) => i < 4 || i > 5), '--kenmerk', 'x'], { WUS_PFX_PASSPHRASE: 'not-the-passphrase' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/PKCS#12 could not be opened/);
    expect(wrong.stderr).not.toContain('not-the-passphrase');
  });

  it('an unknown option, an option without its value, an unknown command or an extra argument exits 64 (EX_USAGE) and names it', () => {
    const unknownOption = wus(['status', ...connection, '--kenmerk', 'x', '--kenmerkk', 'y']);
    expect(unknownOption.status).toBe(64);
    expect(unknownOption.stderr).toContain("Unknown option '--kenmerkk'");
    expect(unknownOption.stderr).toContain('npm run wus -- <command> [options]');
    expect(unknownOption.stdout).toBe('');
    const withoutValue = wus(['status', ...connection, '--kenmerk']);
    expect(withoutValue.status).toBe(64);
    expect(withoutValue.stderr).toContain("'--kenmerk <value>' argument missing");
    const unknownCommand = wus(['statuses', ...connection, '--kenmerk', 'x']);
    expect(unknownCommand.status).toBe(64);
    expect(unknownCommand.stderr).toContain('unknown command "statuses"');
    const extra = wus(['status', 'now', ...connection, '--kenmerk', 'x']);
    expect(extra.status).toBe(64);
    expect(extra.stderr).toContain('unexpected argument "now"');
  });
});
