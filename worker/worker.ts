import os from 'node:os';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { TemporalConfig, WorkerTuning } from '../config';
import { createActivities, type ActivityDeps } from '../activities';
import { createDataConverter } from '../temporal/data-converter';
import { temporalTls } from '../temporal/connection';
import { FAILURE_CONVERTER_PATH, WORKFLOWS_PATH } from './bundle';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  temporal: Pick<TemporalConfig, 'namespace' | 'taskQueue'>;
  payloadEncryptionKeys: string;
  deps: ActivityDeps;
  /** A pre-built bundle (production, tests); when absent the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  /** Workflow cache and task slots (WORKER_MAX_*); the SDK's defaults when absent. */
  tuning?: WorkerTuning;
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.address, tls: temporalTls(config), apiKey: config.apiKey });
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const dataConverter = createDataConverter(options.payloadEncryptionKeys);
  return Worker.create({
    connection: options.connection,
    namespace: options.temporal.namespace,
    taskQueue: options.temporal.taskQueue,
    identity: options.identity ?? `filing-hub-worker@${os.hostname()}:${process.pid}`,
    activities: createActivities(options.deps),
    dataConverter: { ...dataConverter, failureConverterPath: FAILURE_CONVERTER_PATH },
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '10 seconds',
    ...options.tuning,
  });
}
