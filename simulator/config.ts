import path from 'node:path';
import { readEnv, requireEnv, type EnvSource } from '../config/env';

export type FaultKind = 'latency' | 'latency-after' | 'http503' | 'reset-before' | 'reset-after' | 'hang' | 'http500-after';

/** A fault injection rule: which requests it hits and what happens to them. */
export interface FaultRule {
  kind: FaultKind;
  /** Operation name (`aanleveren`, `getStatussenProces`, ...) or `*`. */
  operation?: string;
  /** Only requests whose TLS client certificate carries this subject serialNumber (OIN/HRN). */
  senderIdentity?: string;
  /** Only requests whose SOAP text contains this string (e.g. an aanleverkenmerk). */
  bodyContains?: string;
  latencyMs?: number;
  /** Share of matching requests affected, 0..1 (default 1). */
  fraction?: number;
  /** Affect only the next N matching requests, then the rule is spent. */
  count?: number;
}

export interface Registration {
  senderIdentity: string;
  berichtsoort: string;
  belanghebbende: string;
  note?: string;
}

export interface SimulatorConfig {
  databaseUrl: string;
  host: string;
  port: number;
  adminPort: number;
  publicUrls: string[];
  pkiDir: string;
  statusStepMs: number;
  registrationsFile?: string;
  faults: FaultRule[];
  clockSkewSeconds: number;
  logLevel: string;
}

export function loadSimulatorConfig(source: EnvSource = process.env): SimulatorConfig {
  const port = Number(requireEnv('SIMULATOR_PORT', source));
  const host = requireEnv('SIMULATOR_HOST', source);
  const publicUrls = (readEnv('SIMULATOR_PUBLIC_URLS', source) ?? `https://127.0.0.1:${port},https://localhost:${port}`)
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  const faultsText = readEnv('SIMULATOR_FAULTS', source);
  let faults: FaultRule[] = [];
  if (faultsText) {
    try {
      faults = JSON.parse(faultsText) as FaultRule[];
    } catch {
      throw new Error('Configuration: SIMULATOR_FAULTS must be a JSON array of fault rules');
    }
  }
  return {
    databaseUrl: requireEnv('SIMULATOR_DATABASE_URL', source),
    host,
    port,
    adminPort: Number(requireEnv('SIMULATOR_ADMIN_PORT', source)),
    publicUrls,
    pkiDir: path.resolve(requireEnv('SIMULATOR_PKI_DIR', source)),
    statusStepMs: Number(requireEnv('SIMULATOR_STATUS_STEP_MS', source)),
    registrationsFile: readEnv('SIMULATOR_REGISTRATIONS_FILE', source),
    faults,
    clockSkewSeconds: 300,
    logLevel: requireEnv('LOG_LEVEL', source),
  };
}
