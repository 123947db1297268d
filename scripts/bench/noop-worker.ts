/**
 * The bench's own worker process (scripts/bench.ts starts it beside npm start's): the no-op filing workflow on its own
 * task queue (its TEMPORAL_TASK_QUEUE, set by the bench), with the product worker's data converter and the same bounded cache and task slots
 * (WORKER_MAX_*), so the ceiling it measures is the engine's, not a differently tuned worker's.
 */
import os from 'node:os';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadTemporalConfig, loadWorkerTuning, requireEnv } from '../../config';
import { withLocalDefaults } from '../../config/local';
import { connectClient } from '../../temporal/connection';
import { createDataConverter } from '../../temporal/data-converter';
import { temporalTls } from '../../temporal/connection';
import { FAILURE_CONVERTER_PATH } from '../../worker/bundle';
import { createNoopActivities } from './noop-activities';

async function main(): Promise<void> {
  // Quiet like the product worker under LOG_LEVEL=warn: no webpack or state-change chatter in the bench's output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = withLocalDefaults(process.env);
  const temporal = loadTemporalConfig(env);
  const taskQueue = temporal.taskQueue;
  const keys = requireEnv('PAYLOAD_ENCRYPTION_KEYS', env);
  const client = await connectClient(temporal, keys);
  const connection = await NativeConnection.connect({ address: temporal.address, tls: temporalTls(temporal), apiKey: temporal.apiKey });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue,
    identity: `bench-noop-worker@${os.hostname()}:${process.pid}`,
    workflowsPath: require.resolve('./noop-workflow'),
    activities: createNoopActivities(client),
    dataConverter: { ...createDataConverter(keys), failureConverterPath: FAILURE_CONVERTER_PATH },
    shutdownGraceTime: '5 seconds',
    ...loadWorkerTuning(env),
  });
  const stop = () => worker.shutdown();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`bench worker polling ${taskQueue}\n`);
  await worker.run();
  await connection.close();
  await client.connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
