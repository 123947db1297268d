import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateTestPki, type PkiManifest } from '../../simulator/pki/generate';

/**
 * The local test PKI of `npm start` (DATA_DIR/pki), generated on the first start: the simulator's CA, server and
 * signing certificates and the demo firm's client certificates. Also the simulator's sender registrations: the demo
 * firm's certificates may file every berichtsoort for every belanghebbende (the 210 path is shown in the tests).
 */
export async function ensureLocalPki(dataDir: string, log: (msg: string) => void): Promise<{ dir: string; registrationsFile: string; manifest: PkiManifest }> {
  const dir = path.join(dataDir, 'pki');
  const manifestFile = path.join(dir, 'manifest.json');
  let manifest: PkiManifest;
  if (existsSync(manifestFile)) {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as PkiManifest;
  } else {
    log('generating the local test PKI (data/pki)');
    manifest = await generateTestPki({ outDir: dir });
  }
  const registrationsFile = path.join(dataDir, 'simulator-registrations.json');
  const registrations = manifest.organisations
    .filter((o) => o.status === 'valid')
    .map((o) => ({ senderIdentity: o.hrn, berichtsoort: '*', belanghebbende: '*', note: `${o.organisationName} (demo)` }));
  writeFileSync(registrationsFile, JSON.stringify(registrations, null, 2));
  return { dir, registrationsFile, manifest };
}
