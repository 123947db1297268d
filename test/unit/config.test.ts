import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ENV_VARS, loadConfig, loadDigipoortConfig, loadRateLimits, loadWorkerTuning, readEnv } from '../../config';
import { sqlitePragmas } from '../../scripts/lib/temporal-dev-server';
import { withLocalDefaults } from '../../config/local';

const root = path.resolve(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'data', '.tmp', '.git', 'test', 'test-results', 'coverage']);
/** Operating-system variables some tooling reads; not product configuration. */
const OS_VARIABLES = new Set(['PATH', 'HOME']);

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

  it('bounds the worker: cache and task slots with safe defaults, refusing values the SDK would silently correct', () => {
    expect(loadWorkerTuning({})).toEqual({
      maxCachedWorkflows: 1000,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentLocalActivityExecutions: 100,
    });
    expect(loadWorkerTuning({ WORKER_MAX_CACHED_WORKFLOWS: '0', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toMatchObject({ maxCachedWorkflows: 0, maxConcurrentWorkflowTaskExecutions: 1 });
    expect(() => loadWorkerTuning({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow('WORKER_MAX_CACHED_WORKFLOWS must be a whole number of at least 0, got "lots"');
    expect(() => loadWorkerTuning({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS must be 0 \(no cache\) or at least 2/);
    expect(() => loadWorkerTuning({ WORKER_MAX_CACHED_WORKFLOWS: '20' })).toThrow(/WORKER_MAX_CONCURRENT_WORKFLOW_TASKS \(40\) must not exceed WORKER_MAX_CACHED_WORKFLOWS \(20\)/);
    expect(() => loadWorkerTuning({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrow(/WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be a whole number of at least 2/);
    expect(() => loadWorkerTuning({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(/WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number of at least 1/);
    expect(() => loadWorkerTuning({ WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '2.5' })).toThrow(/WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES must be a whole number/);
  });

  it('rate limits per address and per connector token are settings', () => {
    expect(loadRateLimits({})).toEqual({ perAddressPerMinute: 600, perConnectorTokenPerMinute: 600 });
    expect(loadRateLimits({ API_RATE_LIMIT_PER_MINUTE: '100', CONNECTOR_RATE_LIMIT_PER_MINUTE: '6000' })).toEqual({ perAddressPerMinute: 100, perConnectorTokenPerMinute: 6000 });
    expect(() => loadRateLimits({ CONNECTOR_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/CONNECTOR_RATE_LIMIT_PER_MINUTE must be a whole number of at least 1, got "0"/);
  });

  it('the dev server of npm start keeps its state durable across a crash (WAL, synchronous=NORMAL); tests run it fast', () => {
    expect(sqlitePragmas({ dbFile: '/data/temporal/dev-server.sqlite' })).toEqual(['journal_mode=WAL', 'synchronous=NORMAL']);
    expect(sqlitePragmas({ fast: true })).toEqual(['journal_mode=WAL', 'synchronous=OFF']);
    expect(sqlitePragmas({})).toEqual([]);
  });

  it('PORT without PUBLIC_URL: every link follows PORT; the Web UI URL follows TEMPORAL_UI_PORT', () => {
    const base = { TEMPORAL_ADDRESS: 'localhost:7233', PAYLOAD_ENCRYPTION_KEYS: 'k:x', CERTIFICATE_MASTER_KEYS: 'c:y' };
    expect(loadConfig({ ...base, PORT: '4000' })).toMatchObject({ port: 4000, publicUrl: 'http://localhost:4000' });
    expect(loadConfig({ ...base, PORT: '4000', PUBLIC_URL: 'https://hub.example.nl/' }).publicUrl).toBe('https://hub.example.nl');
    expect(loadConfig({ ...base, TEMPORAL_UI_PORT: '9233' }).temporalUiUrl).toBe('http://localhost:9233');
  });

  it('a worker or API started alone takes what npm start generated in DATA_DIR; what the environment sets wins', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fh-local-'));
    expect(() => loadConfig(withLocalDefaults({ DATA_DIR: dataDir }))).toThrow(/TEMPORAL_ADDRESS must be set/);
    writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify({ payloadEncryptionKeys: 'k1:AAAA', certificateMasterKeys: 'c1:BBBB' }));
    mkdirSync(path.join(dataDir, 'temporal'));
    writeFileSync(path.join(dataDir, 'temporal', 'dev-server.sqlite'), '');
    mkdirSync(path.join(dataDir, 'pki'));
    writeFileSync(path.join(dataDir, 'pki', 'manifest.json'), '{}');
    const env = withLocalDefaults({ DATA_DIR: dataDir, TEMPORAL_PORT: '7999', SIMULATOR_PORT: '9443' });
    expect(loadConfig(env)).toMatchObject({ temporal: { address: '127.0.0.1:7999' }, payloadEncryptionKeys: 'k1:AAAA', certificateMasterKeys: 'c1:BBBB' });
    expect(loadDigipoortConfig(env)).toMatchObject({ endpointBase: 'https://127.0.0.1:9443', caFile: path.join(dataDir, 'pki', 'root-ca.pem') });
    const explicit = withLocalDefaults({ DATA_DIR: dataDir, TEMPORAL_ADDRESS: 'temporal:7233', PAYLOAD_ENCRYPTION_KEYS: 'prod:CCCC', DIGIPOORT_ENDPOINT_BASE: 'https://wus.digipoort.logius.nl' });
    expect(explicit).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', PAYLOAD_ENCRYPTION_KEYS: 'prod:CCCC', DIGIPOORT_ENDPOINT_BASE: 'https://wus.digipoort.logius.nl' });
    expect(explicit.DIGIPOORT_CA_FILE).toBeUndefined();
  });
});
