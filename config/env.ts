/**
 * Every environment variable the product reads, in one registry.
 *
 * Code reads the environment only through `readEnv` (a test fails on any other `process.env` read), so the README's
 * configuration table and docker-compose.yml can be checked against this list and cannot rot silently.
 */

import { DEFAULT_FOLLOW_UP_AT_MS } from '../domain/status-follow-up';

/** The processes of the system; `start` is the local orchestrator (`npm start`). */
/** `wus` is the operator CLI (`npm run wus`). */
export type ProcessName = 'start' | 'api' | 'worker' | 'simulator' | 'migrate' | 'wus';

export interface EnvVarSpec {
  readonly description: string;
  /** Default used when the variable is unset or empty; `undefined` means "unset is meaningful" or "required". */
  readonly default?: string;
  /** Processes that read it. */
  readonly usedBy: readonly ProcessName[];
  /** Required by these processes when they run outside `npm start` (docker-compose, production). */
  readonly requiredBy?: readonly ProcessName[];
  /** Holds key material or tokens: never printed, never logged. */
  readonly secret?: boolean;
}

export const ENV_VARS = {
  DATABASE_URL: {
    description: 'PostgreSQL connection string of the application database (created when missing).',
    default: 'postgres://postgres@127.0.0.1:5432/filinghub',
    usedBy: ['start', 'api', 'worker', 'migrate'],
    requiredBy: ['api', 'worker', 'migrate'],
  },
  TEMPORAL_ADDRESS: {
    description:
      'host:port of an existing Temporal frontend. When unset, `npm start` runs the Temporal CLI dev server locally.',
    usedBy: ['start', 'api', 'worker'],
    requiredBy: ['api', 'worker'],
  },
  TEMPORAL_NAMESPACE: {
    description: 'Temporal namespace.',
    default: 'default',
    usedBy: ['start', 'api', 'worker'],
  },
  TEMPORAL_TASK_QUEUE: {
    description: 'Task queue the worker polls and the API starts workflows on.',
    default: 'filing-hub',
    usedBy: ['start', 'api', 'worker'],
  },
  TEMPORAL_TLS_CA_PATH: {
    description: 'PEM file with the CA that signed the Temporal frontend certificate (external cluster with TLS).',
    usedBy: ['api', 'worker'],
  },
  TEMPORAL_TLS_CERT_PATH: {
    description: 'PEM client certificate for mutual TLS to an external Temporal cluster.',
    usedBy: ['api', 'worker'],
  },
  TEMPORAL_TLS_KEY_PATH: {
    description: 'PEM private key for TEMPORAL_TLS_CERT_PATH.',
    usedBy: ['api', 'worker'],
  },
  TEMPORAL_TLS_SERVER_NAME: {
    description: 'Server name to verify on the Temporal frontend certificate, when it differs from the address host.',
    usedBy: ['api', 'worker'],
  },
  TEMPORAL_API_KEY: {
    description: 'API key for Temporal Cloud (implies TLS).',
    usedBy: ['api', 'worker'],
    secret: true,
  },
  TEMPORAL_CLI_PATH: {
    description: 'Path to the `temporal` CLI used for the local dev server (default: `temporal` on PATH, else installed with go).',
    usedBy: ['start'],
  },
  TEMPORAL_PORT: {
    description: 'gRPC port of the local Temporal dev server.',
    default: '7233',
    usedBy: ['start'],
  },
  TEMPORAL_UI_PORT: {
    description: 'Port of the Temporal Web UI of the local dev server.',
    default: '8233',
    usedBy: ['start', 'api'],
  },
  TEMPORAL_UI_URL: {
    description:
      'Public URL of the Temporal Web UI, printed and used as the codec CORS origin (with its localhost/127.0.0.1 twin). ' +
      'Default: http://localhost:<TEMPORAL_UI_PORT>.',
    usedBy: ['start', 'api'],
  },
  TEMPORAL_UI_UPSTREAM: {
    description:
      'Where the API finds the Temporal Web UI it serves at <PUBLIC_URL>/temporal/ to signed-in operators (the UI runs ' +
      'with public path /temporal and codec endpoint /codec). `npm start` sets it to its dev server\'s UI; unset: not served.',
    usedBy: ['start', 'api'],
  },
  WORKFLOW_BUNDLE_PATH: {
    description: 'Pre-built workflow bundle (npm run bundle:workflows). When unset the worker bundles at start.',
    usedBy: ['worker'],
  },
  // --- status follow-up after aanleveren (issue 10) ---
  STATUS_FOLLOW_UP_AT: {
    description:
      'Seconds after aanleveren at which a filing polls its own process for statuses (comma separated), before the hub\'s ' +
      'send/receive takes over. Empty list (`none`): no follow-up.',
    default: DEFAULT_FOLLOW_UP_AT_MS.map((ms) => ms / 1000).join(','),
    usedBy: ['worker'],
  },
  STATUS_FOLLOW_UP_PER_SECOND: {
    description:
      'Per-hub rate of those polls (token bucket in PostgreSQL, burst twice the rate); a poll over the rate is skipped. ' +
      'The default covers one poll per filing at the engine\'s measured ceiling (~11 filings/s, see the README\'s Benchmark).',
    default: '20',
    usedBy: ['worker'],
  },
  DATA_DIR: {
    description: 'Directory for local state: Temporal dev server database, generated secrets, test PKI.',
    default: './data',
    usedBy: ['start', 'api', 'worker', 'simulator'],
  },
  HOST: {
    description: 'Interface the API listens on.',
    default: '127.0.0.1',
    usedBy: ['start', 'api'],
  },
  PORT: {
    description: 'Port the API listens on.',
    default: '3000',
    usedBy: ['start', 'api'],
  },
  PUBLIC_URL: {
    description:
      'URL under which the API is reachable, used in printed links, e-mail links to the portal and the codec endpoint. ' +
      'Default: http://localhost:<PORT>.',
    usedBy: ['start', 'api', 'worker'],
  },
  BENCH_PROFILE_DIR: {
    description:
      'Set by `npm run bench -- --profile` only: the directory where the worker, API and simulator write a CPU profile ' +
      'of the pipeline round (scripts/bench/profile-preload.cjs, loaded through NODE_OPTIONS). Unset: no profiler.',
    usedBy: ['api', 'worker', 'simulator'],
  },
  LOG_LEVEL: {
    description: 'Log level of every process (fatal, error, warn, info, debug, trace).',
    default: 'info',
    usedBy: ['start', 'api', 'worker', 'simulator', 'migrate'],
  },
  PAYLOAD_ENCRYPTION_KEYS: {
    description:
      'Keys of the Temporal payload codec (AES-256-GCM) as `keyId:base64key`, comma separated; the first encrypts, ' +
      'all decrypt. `npm start` generates one into DATA_DIR when unset.',
    usedBy: ['start', 'api', 'worker'],
    requiredBy: ['api', 'worker'],
    secret: true,
  },
  CERTIFICATE_MASTER_KEYS: {
    description:
      'Keys that seal the firm\'s PKCS#12 certificates and passphrases at rest (AES-256-GCM), as `keyId:base64key`, ' +
      'comma separated; the first seals, all open. `npm start` generates one into DATA_DIR when unset.',
    usedBy: ['start', 'api', 'worker'],
    requiredBy: ['api', 'worker'],
    secret: true,
  },
  SEARCH_ATTRIBUTE_KEY: {
    description:
      'Key (base64, 32 bytes) of the keyed hash the TaxIdentifier search attribute carries instead of the OB or KvK ' +
      'number (which may contain a BSN). `npm start` generates one into DATA_DIR when unset.',
    usedBy: ['start', 'api'],
    requiredBy: ['api'],
    secret: true,
  },
  CODEC_AUTH_REQUIRED: {
    description:
      'Whether the codec endpoint of the Temporal Web UI demands a staff bearer token or an operator session (signed in ' +
      'at /operator/sign-in). True everywhere, npm start included; false only for a closed lab.',
    default: 'true',
    usedBy: ['start', 'api'],
  },
  SIMULATOR_DATABASE_URL: {
    description: 'PostgreSQL database of the Digipoort simulator (its own; created when missing).',
    default: 'postgres://postgres@127.0.0.1:5432/digipoort_simulator',
    usedBy: ['start', 'simulator'],
    requiredBy: ['simulator'],
  },
  SIMULATOR_HOST: {
    description: 'Interface the Digipoort simulator listens on (HTTPS with mutual TLS).',
    default: '127.0.0.1',
    usedBy: ['start', 'simulator'],
  },
  SIMULATOR_PORT: {
    description: 'HTTPS port of the Digipoort simulator.',
    default: '8443',
    usedBy: ['start', 'simulator'],
  },
  SIMULATOR_ADMIN_PORT: {
    description: 'Plain-HTTP admin port of the simulator on 127.0.0.1 (delivery counts, fault injection, registrations).',
    default: '8444',
    usedBy: ['start', 'simulator'],
  },
  SIMULATOR_PUBLIC_URLS: {
    description:
      'Comma-separated base URLs under which clients address the simulator; wsa:To must equal one of them plus the ' +
      'service path. Default: https://127.0.0.1:<port> and https://localhost:<port>.',
    usedBy: ['simulator'],
  },
  SIMULATOR_PKI_DIR: {
    description: 'Test PKI directory (npm run pki) with the simulator server, service signing and CA certificates.',
    usedBy: ['start', 'simulator'],
    requiredBy: ['simulator'],
  },
  SIMULATOR_STATUS_STEP_MS: {
    description: 'Time between two consecutive Digipoort statuses of a process at the simulator.',
    default: '200',
    usedBy: ['simulator'],
  },
  SIMULATOR_MANDATE_DAY_MS: {
    description:
      'Length of one simulated day in the simulator\'s mandate register (an SBA mandate becomes active 26 days after the ' +
      'letter unless the client objects); also settable at the admin endpoint (PUT /admin/mandates/day).',
    default: '1000',
    usedBy: ['simulator'],
  },
  SIMULATOR_REGISTRATIONS_FILE: {
    description:
      'JSON file of sender registrations ([{ senderIdentity, berichtsoort, belanghebbende }]; `*` matches any); an ' +
      'unregistered sender ends with status 210.',
    usedBy: ['start', 'simulator'],
  },
  SIMULATOR_FAULTS: {
    description:
      'JSON fault injection rules for the simulator ([{ operation, kind: latency|latency-after|http503|reset-before|reset-after|hang|http500-after, ' +
      'latencyMs, fraction }]); also settable at the admin endpoint.',
    usedBy: ['simulator'],
  },
  DIGIPOORT_ENDPOINT_BASE: {
    description:
      'Base URL of Digipoort WUS (service paths are appended): the simulator locally, ' +
      'https://wus.digipoort.logius.nl in production, https://wus.preproductie.digipoort.logius.nl for preproduction.',
    default: 'https://127.0.0.1:8443',
    usedBy: ['start', 'api', 'worker', 'wus'],
  },
  DIGIPOORT_CA_FILE: {
    description: 'PEM file with the roots the Digipoort server certificate must chain to (PKIoverheid private roots).',
    usedBy: ['start', 'worker', 'wus'],
    requiredBy: ['worker'],
  },
  PKIOVERHEID_ROOTS_FILE: {
    description:
      'PEM file with the PKIoverheid roots (and intermediates) an uploaded certificate must chain to, the ones Digipoort ' +
      'trusts; an upload that does not chain to them is refused.',
    usedBy: ['start', 'api'],
    requiredBy: ['api'],
  },
  DIGIPOORT_CRL_FILE: {
    description: 'PEM file with the CRLs of every CA level of the Digipoort chain (revocation checked, fail-closed).',
    usedBy: ['start', 'worker', 'wus'],
  },
  DIGIPOORT_SERVICE_CERT_FILE: {
    description: 'The Digipoort WUS service signing certificate (PEM) against which responses are verified.',
    usedBy: ['start', 'worker', 'wus'],
    requiredBy: ['worker'],
  },
  DIGIPOORT_HASH: {
    description: 'WS-Security signature/digest pair: sha1 (the published WUS 1.2 profile) or sha256.',
    default: 'sha1',
    usedBy: ['start', 'worker', 'wus'],
  },
  DIGIPOORT_TIMEOUT_MS: {
    description: 'Timeout of one Digipoort call; after it an aanleveren is ambiguous and is reconciled, never resent blindly.',
    default: '60000',
    usedBy: ['worker', 'wus'],
  },
  WUS_PFX_PASSPHRASE: {
    description: 'Passphrase of the PKCS#12 file given to `npm run wus -- --pfx` (alternative to --passphrase-file).',
    usedBy: ['wus'],
    secret: true,
  },
  SMTP_URL: {
    description:
      'SMTP server for the e-mail outbox (portal notifications, reminders, escalations), e.g. smtp://user:pass@host:587. ' +
      'Unset: e-mails stay in the outbox table (readable in the staff API).',
    usedBy: ['worker'],
    secret: true,
  },
  SMTP_FROM: {
    description: 'Sender address of the e-mails.',
    default: 'Filing hub <no-reply@filing-hub.invalid>',
    usedBy: ['worker'],
  },
  SEED_DEMO: {
    description: 'Whether `npm start` seeds the demo hub 12345 (when it runs the simulator and the hub does not exist).',
    default: 'true',
    usedBy: ['start'],
  },
  // Worker tuning (bounded memory): the workflow cache and the task slots of one worker process.
  WORKER_MAX_CACHED_WORKFLOWS: {
    description:
      'Workflows one worker keeps in its sticky cache (0: no cache, every task replays). Bounds its memory: about ' +
      '0.3-0.5 MB each; a filing waiting for approval does not need to be cached (it is a durable wait).',
    default: '1000',
    usedBy: ['worker'],
  },
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: {
    description: 'Workflow tasks one worker runs at once (at least 2 with a cache, at most WORKER_MAX_CACHED_WORKFLOWS).',
    default: '40',
    usedBy: ['worker'],
  },
  WORKER_MAX_CONCURRENT_ACTIVITIES: {
    description: 'Activities one worker runs at once.',
    default: '100',
    usedBy: ['worker'],
  },
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: {
    description: 'Local activities one worker runs at once.',
    default: '100',
    usedBy: ['worker'],
  },
  // The API's rate limit (@fastify/rate-limit).
  API_RATE_LIMIT_PER_MINUTE: {
    description: 'Requests per minute the API allows one client address (requests without a connector token).',
    default: '600',
    usedBy: ['api'],
  },
  CONNECTOR_RATE_LIMIT_PER_MINUTE: {
    description:
      'Requests per minute the API allows one connector token (keyed by the token\'s id, never the token), whatever ' +
      'address it comes from.',
    default: '600',
    usedBy: ['api'],
  },
  SUPERVISOR_PID: {
    description:
      'Set by `npm start` on its children: a child exits when that process is gone, so a killed supervisor leaves no ' +
      'orphans. Not for manual use.',
    usedBy: ['api', 'worker', 'simulator'],
  },
} as const satisfies Record<string, EnvVarSpec>;

export type EnvName = keyof typeof ENV_VARS;

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Reads one registered variable; empty strings count as unset so `FOO=` falls back to the default. */
export function readEnv(name: EnvName, source: EnvSource = process.env): string | undefined {
  const value = source[name];
  if (value !== undefined && value !== '') return value;
  const spec: EnvVarSpec = ENV_VARS[name];
  return spec.default;
}

export function requireEnv(name: EnvName, source: EnvSource = process.env): string {
  const value = readEnv(name, source);
  if (value === undefined) throw new Error(`Configuration: ${name} must be set (${ENV_VARS[name].description})`);
  return value;
}

export function envIsSet(name: EnvName, source: EnvSource = process.env): boolean {
  const value = source[name];
  return value !== undefined && value !== '';
}
