import path from 'node:path';
import { readEnv, requireEnv, type EnvSource } from './env';

export { ENV_VARS, readEnv, requireEnv, type EnvName, type EnvSource, type ProcessName } from './env';

/** Where the API serves the Temporal Web UI to signed-in operators; the UI's own public path is the same. */
export const WEB_UI_PATH = '/temporal';

export interface TemporalConfig {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: { caPath?: string; certPath?: string; keyPath?: string; serverName?: string };
  apiKey?: string;
}

export interface AppConfig {
  databaseUrl: string;
  temporal: TemporalConfig;
  dataDir: string;
  host: string;
  port: number;
  publicUrl: string;
  temporalUiUrl: string;
  logLevel: string;
  payloadEncryptionKeys: string;
  certificateMasterKeys: string;
  /** Key of the TaxIdentifier search attribute's keyed hash (base64); the API needs it, the worker does not. */
  searchAttributeKey?: string;
  codecAuthRequired: boolean;
  workflowBundlePath?: string;
}

function parseBoolean(value: string | undefined, name: string): boolean {
  if (value === undefined) return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`Configuration: ${name} must be true or false, got "${value}"`);
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Configuration: ${name} must be a port number, got "${value}"`);
  }
  return port;
}

export function loadTemporalConfig(source: EnvSource = process.env): TemporalConfig {
  const caPath = readEnv('TEMPORAL_TLS_CA_PATH', source);
  const certPath = readEnv('TEMPORAL_TLS_CERT_PATH', source);
  const keyPath = readEnv('TEMPORAL_TLS_KEY_PATH', source);
  const serverName = readEnv('TEMPORAL_TLS_SERVER_NAME', source);
  const apiKey = readEnv('TEMPORAL_API_KEY', source);
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new Error('Configuration: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together');
  }
  const tls = caPath || certPath || serverName ? { caPath, certPath, keyPath, serverName } : undefined;
  return {
    address: requireEnv('TEMPORAL_ADDRESS', source),
    namespace: requireEnv('TEMPORAL_NAMESPACE', source),
    taskQueue: requireEnv('TEMPORAL_TASK_QUEUE', source),
    tls,
    apiKey,
  };
}

/** PUBLIC_URL, or the API on localhost at PORT: links in the banner, e-mails and the codec endpoint follow PORT. */
export function publicUrlOf(source: EnvSource = process.env): string {
  const port = parsePort(requireEnv('PORT', source), 'PORT');
  return (readEnv('PUBLIC_URL', source) ?? `http://localhost:${port}`).replace(/\/+$/, '');
}

/** TEMPORAL_UI_URL, or the local dev server's Web UI at TEMPORAL_UI_PORT. */
export function temporalUiUrlOf(source: EnvSource = process.env): string {
  const port = parsePort(requireEnv('TEMPORAL_UI_PORT', source), 'TEMPORAL_UI_PORT');
  return (readEnv('TEMPORAL_UI_URL', source) ?? `http://localhost:${port}`).replace(/\/+$/, '');
}

/** Configuration of the api and worker processes. */
export function loadConfig(source: EnvSource = process.env): AppConfig {
  const port = parsePort(requireEnv('PORT', source), 'PORT');
  return {
    databaseUrl: requireEnv('DATABASE_URL', source),
    temporal: loadTemporalConfig(source),
    dataDir: path.resolve(requireEnv('DATA_DIR', source)),
    host: requireEnv('HOST', source),
    port,
    publicUrl: publicUrlOf(source),
    temporalUiUrl: temporalUiUrlOf(source),
    logLevel: requireEnv('LOG_LEVEL', source),
    payloadEncryptionKeys: requireEnv('PAYLOAD_ENCRYPTION_KEYS', source),
    certificateMasterKeys: requireEnv('CERTIFICATE_MASTER_KEYS', source),
    searchAttributeKey: readEnv('SEARCH_ATTRIBUTE_KEY', source),
    codecAuthRequired: parseBoolean(readEnv('CODEC_AUTH_REQUIRED', source), 'CODEC_AUTH_REQUIRED'),
    workflowBundlePath: readEnv('WORKFLOW_BUNDLE_PATH', source),
  };
}

export interface DigipoortConfig {
  endpointBase: string;
  caFile: string;
  crlFile?: string;
  serviceCertFile: string;
  hash: 'sha1' | 'sha256';
  timeoutMs: number;
}

/** The worker's connection to Digipoort (or the simulator). */
export function loadDigipoortConfig(source: EnvSource = process.env): DigipoortConfig {
  const hash = requireEnv('DIGIPOORT_HASH', source);
  if (hash !== 'sha1' && hash !== 'sha256') throw new Error(`Configuration: DIGIPOORT_HASH must be sha1 or sha256, got "${hash}"`);
  const timeoutMs = Number(requireEnv('DIGIPOORT_TIMEOUT_MS', source));
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new Error('Configuration: DIGIPOORT_TIMEOUT_MS must be a number of milliseconds');
  return {
    endpointBase: requireEnv('DIGIPOORT_ENDPOINT_BASE', source),
    caFile: requireEnv('DIGIPOORT_CA_FILE', source),
    crlFile: readEnv('DIGIPOORT_CRL_FILE', source),
    serviceCertFile: requireEnv('DIGIPOORT_SERVICE_CERT_FILE', source),
    hash,
    timeoutMs,
  };
}

/** A filing's own status follow-up after aanleveren (issue 10): when it polls, and the per-hub rate. */
export function loadStatusFollowUp(source: EnvSource = process.env): { atMs: number[]; rate: { perSecond: number; burst: number } } {
  const at = readEnv('STATUS_FOLLOW_UP_AT', source) ?? '';
  const atMs = /^none$/i.test(at.trim()) ? [] : at.split(',').map((v) => v.trim()).filter(Boolean).map((v) => Number(v) * 1000);
  if (atMs.some((ms, i) => !Number.isFinite(ms) || ms < 0 || (i > 0 && ms < atMs[i - 1]))) {
    throw new Error(`Configuration: STATUS_FOLLOW_UP_AT must be ascending seconds, comma separated, got "${at}"`);
  }
  const perSecond = Number(readEnv('STATUS_FOLLOW_UP_PER_SECOND', source));
  if (!Number.isFinite(perSecond) || perSecond < 0) {
    throw new Error(`Configuration: STATUS_FOLLOW_UP_PER_SECOND must be a number ≥ 0, got "${readEnv('STATUS_FOLLOW_UP_PER_SECOND', source)}"`);
  }
  return { atMs, rate: { perSecond, burst: Math.max(1, 2 * perSecond) } };
}

/** The worker's workflow cache and task slots (bounded memory); passed to `Worker.create` as they are. */
export interface WorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
}

function parseCount(name: 'WORKER_MAX_CACHED_WORKFLOWS' | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' | 'WORKER_MAX_CONCURRENT_ACTIVITIES' | 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES' | 'API_RATE_LIMIT_PER_MINUTE' | 'CONNECTOR_RATE_LIMIT_PER_MINUTE', source: EnvSource, min: number): number {
  const raw = requireEnv(name, source);
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`Configuration: ${name} must be a whole number of at least ${min}, got "${raw}"`);
  }
  return value;
}

/**
 * WORKER_MAX_*: checked here with a clear error rather than corrected by the SDK with a warning (it silently raises or
 * lowers values that do not fit together).
 */
export function loadWorkerTuning(source: EnvSource = process.env): WorkerTuning {
  const maxCachedWorkflows = parseCount('WORKER_MAX_CACHED_WORKFLOWS', source, 0);
  if (maxCachedWorkflows === 1) throw new Error('Configuration: WORKER_MAX_CACHED_WORKFLOWS must be 0 (no cache) or at least 2, got "1"');
  const maxConcurrentWorkflowTaskExecutions = parseCount('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', source, maxCachedWorkflows > 0 ? 2 : 1);
  if (maxCachedWorkflows > 0 && maxConcurrentWorkflowTaskExecutions > maxCachedWorkflows) {
    throw new Error(
      `Configuration: WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${maxConcurrentWorkflowTaskExecutions}) must not exceed WORKER_MAX_CACHED_WORKFLOWS (${maxCachedWorkflows})`,
    );
  }
  return {
    maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: parseCount('WORKER_MAX_CONCURRENT_ACTIVITIES', source, 1),
    maxConcurrentLocalActivityExecutions: parseCount('WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES', source, 1),
  };
}

/** The API's rate limits: per client address, and per connector token (by its id). */
export interface RateLimits {
  perAddressPerMinute: number;
  perConnectorTokenPerMinute: number;
}

export function loadRateLimits(source: EnvSource = process.env): RateLimits {
  return {
    perAddressPerMinute: parseCount('API_RATE_LIMIT_PER_MINUTE', source, 1),
    perConnectorTokenPerMinute: parseCount('CONNECTOR_RATE_LIMIT_PER_MINUTE', source, 1),
  };
}
