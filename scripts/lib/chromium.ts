import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Chromium for the browser tests: the Debian package (`apt-get install chromium`), found on the PATH. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome'];

export function findChromium(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin'];
  for (const name of NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function chromiumPath(): string {
  const found = findChromium();
  if (!found) throw new Error('Chromium is not installed: the browser tests need it (apt-get install chromium; npm test installs it when run as root)');
  return found;
}

/** Installs Chromium with apt when it is missing and we may (root with apt-get); answers whether it is there now. */
export function ensureChromium(log: (line: string) => void): boolean {
  if (findChromium()) return true;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' });
  if (!root || apt.status !== 0) {
    log('Chromium is missing and cannot be installed here (needs root and apt-get): the browser test will fail.');
    return false;
  }
  log('Installing Chromium for the browser tests (apt-get, takes a minute)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env }) : update;
  if (install.status !== 0) log('apt-get could not install Chromium: the browser test will fail.');
  return Boolean(findChromium());
}
