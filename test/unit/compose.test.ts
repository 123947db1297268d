import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARS, type EnvName, type ProcessName } from '../../config/env';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { searchAttributeArgs } from '../../scripts/lib/temporal-dev-server';

/**
 * No Docker engine runs here, so docker-compose.yml is checked against the code instead: every command starts an
 * entry point that exists, every variable is one the code reads for that process, every required one is set, and the
 * Temporal pieces agree with each other and with the search attributes the workflows use.
 */
const root = path.resolve(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  restart?: string;
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;

/** Our services and the process (config/env.ts) each one runs. */
const OWN_SERVICES: Record<string, ProcessName> = { migrate: 'migrate', worker: 'worker', api: 'api', simulator: 'simulator' };
const ENTRY_POINTS: Record<ProcessName, string> = {
  migrate: 'db/migrate.ts',
  worker: 'worker/main.ts',
  api: 'api/main.ts',
  simulator: 'simulator/main.ts',
  start: 'scripts/start.ts',
  wus: 'scripts/wus.ts',
};

function interpolatedDefault(value: string): string {
  // ${VAR:?message} must come from .env; treat it as set.
  return value.replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'from-env');
}

describe('docker-compose.yml', () => {
  it('has the production-like services', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'migrate', 'worker', 'api', 'pki', 'simulator']),
    );
    expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(services.postgresql.image).toMatch(/^postgres:/);
    expect(services.worker.deploy?.replicas).toBeGreaterThan(1);
  });

  it.each(Object.entries(OWN_SERVICES))('service %s runs an entry point that exists', (service, processName) => {
    const spec = services[service];
    expect(spec.build).toBe('.');
    const command = spec.command as string[];
    expect(command[0]).toBe('node');
    const source = command[1].replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(source).toBe(ENTRY_POINTS[processName]);
    expect(existsSync(path.join(root, source))).toBe(true);
  });

  it.each(Object.entries(OWN_SERVICES))('service %s sets only variables its process reads, and all it requires', (service, processName) => {
    const env = services[service].environment ?? {};
    for (const name of Object.keys(env)) {
      expect(ENV_VARS).toHaveProperty(name);
      expect(ENV_VARS[name as EnvName].usedBy).toContain(processName);
    }
    const required = (Object.entries(ENV_VARS) as [EnvName, { requiredBy?: readonly ProcessName[] }][])
      .filter(([, spec]) => spec.requiredBy?.includes(processName))
      .map(([name]) => name);
    for (const name of required) expect(Object.keys(env)).toContain(name);
  });

  it('starts every long-running service again when it dies; one-shot jobs run once', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'simulator', 'worker', 'api']) expect({ name, restart: services[name].restart }).toEqual({ name, restart: 'unless-stopped' });
    for (const name of ['migrate', 'pki', 'temporal-setup']) expect(services[name].restart).toBeUndefined();
  });

  it('points the processes at the services that exist', () => {
    for (const service of ['worker', 'api']) {
      const env = services[service].environment!;
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(new URL(interpolatedDefault(env.DATABASE_URL)).hostname).toBe('postgresql');
      expect(env.PAYLOAD_ENCRYPTION_KEYS).toBe(services.api.environment!.PAYLOAD_ENCRYPTION_KEYS);
      expect(env.TEMPORAL_TASK_QUEUE).toBe(ENV_VARS.TEMPORAL_TASK_QUEUE.default);
    }
    expect(services.migrate.environment!.DATABASE_URL).toBe(services.api.environment!.DATABASE_URL);
    // The worker loads the bundle that `npm run build` writes.
    expect(services.worker.environment!.WORKFLOW_BUNDLE_PATH).toBe('dist/workflow-bundle.js');
    expect(readFileSync(path.join(root, 'scripts', 'build.ts'), 'utf8')).toContain("'workflow-bundle.js'");
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/npm run build/);
  });

  it('points the worker at the simulator with the PKI the pki service writes', () => {
    const worker = services.worker.environment!;
    const simulator = services.simulator.environment!;
    expect(worker.DIGIPOORT_ENDPOINT_BASE).toBe(`https://simulator:${simulator.SIMULATOR_PORT}`);
    expect(simulator.SIMULATOR_PUBLIC_URLS).toBe(worker.DIGIPOORT_ENDPOINT_BASE);
    const pkiCommand = (services.pki.command as string[]).join(' ');
    expect(pkiCommand).toContain('node dist/scripts/pki.js --out /pki --server-hostname simulator');
    expect(existsSync(path.join(root, 'scripts', 'pki.ts'))).toBe(true);
    for (const file of [worker.DIGIPOORT_CA_FILE, worker.DIGIPOORT_CRL_FILE, worker.DIGIPOORT_SERVICE_CERT_FILE]) {
      expect(file.startsWith(`${simulator.SIMULATOR_PKI_DIR}/`)).toBe(true);
    }
    // The file names the simulator and the worker read are the ones the generator writes.
    const generator = readFileSync(path.join(root, 'simulator', 'pki', 'generate.ts'), 'utf8');
    for (const file of ['root-ca.pem', 'crls.pem', 'digipoort-service.pem', 'simulator-server.pem', 'simulator-server.key.pem']) {
      expect(generator).toContain(`'${file}'`);
    }
  });

  it('serves the Web UI through the API (signed-in operators only), decoding through its codec', () => {
    const api = services.api.environment!;
    const ui = services['temporal-ui'].environment!;
    expect(ui.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(ui.TEMPORAL_UI_PUBLIC_PATH).toBe('/temporal');
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe('/codec');
    expect(services['temporal-ui'].ports).toBeUndefined();
    expect(api.TEMPORAL_UI_UPSTREAM).toBe('http://temporal-ui:8080');
    expect(api.CODEC_AUTH_REQUIRED ?? 'true').toBe('true');
    const apiPublished = services.api.ports![0].split(':')[0];
    expect(api.PORT).toBe(apiPublished);
    expect(new URL(api.PUBLIC_URL).port).toBe(apiPublished);
    expect(ui.TEMPORAL_CORS_ORIGINS).toBe(api.PUBLIC_URL);
  });

  it('registers exactly the search attributes the workflows use, as the dev server does', () => {
    const script = (services['temporal-setup'].command as string[]).join(' ');
    const registered = [...script.matchAll(/\b([A-Za-z]+)=(Keyword|Int|Datetime|KeywordList|Text|Bool|Double)\b/g)].map(
      (m) => `${m[1]}=${m[2]}`,
    );
    const devServer = searchAttributeArgs().filter((a) => a !== '--search-attribute');
    expect(registered.sort()).toEqual(devServer.sort());
    expect(registered).toHaveLength(ALL_SEARCH_ATTRIBUTES.length);
    expect(services.temporal.environment!.SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES).toBe('true');
  });
});
