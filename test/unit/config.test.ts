import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENV_VARS, loadConfig, readEnv } from '../../config';

const root = path.resolve(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'data', '.tmp', '.git', 'test', 'test-results', 'coverage']);
/** Operating-system variables some tooling reads; not product configuration. */
const OS_VARIABLES = new Set(['PATH']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

describe('configuration registry (config/env.ts)', () => {
  it('is the only place product code reads named environment variables', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(root)) {
      if (file === path.join(root, 'config', 'env.ts')) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[['"]([^'"]+)['"]\])/g)) {
        const name = match[1] ?? match[2];
        if (!OS_VARIABLES.has(name)) offenders.push(`${path.relative(root, file)}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('documents every variable in the README configuration table', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const name of Object.keys(ENV_VARS)) expect(readme).toContain(`\`${name}\``);
  });

  it('treats empty values as unset and applies defaults', () => {
    expect(readEnv('PORT', { PORT: '' })).toBe('3000');
    expect(readEnv('PORT', { PORT: '4000' })).toBe('4000');
    expect(readEnv('TEMPORAL_ADDRESS', {})).toBeUndefined();
  });

  it('names the missing variable and never echoes secret values', () => {
    expect(() => loadConfig({})).toThrow(/TEMPORAL_ADDRESS must be set/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'x:1' })).toThrow(/PAYLOAD_ENCRYPTION_KEYS must be set/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'x:1', PAYLOAD_ENCRYPTION_KEYS: 'k' })).toThrow(/CERTIFICATE_MASTER_KEYS must be set/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'x:1', PAYLOAD_ENCRYPTION_KEYS: 'k', CERTIFICATE_MASTER_KEYS: 'c', PORT: 'abc' })).toThrow(
      'PORT must be a port number',
    );
  });

  it('loads a complete configuration with defaults', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'localhost:7233', PAYLOAD_ENCRYPTION_KEYS: 'k:x', CERTIFICATE_MASTER_KEYS: 'c:y' });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/filinghub',
      temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'filing-hub' },
      port: 3000,
      codecAuthRequired: true,
    });
  });
});
