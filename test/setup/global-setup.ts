import { startTestEnvironment } from './environment';

export default async function globalSetup(): Promise<void> {
  const environment = await startTestEnvironment((msg) => process.stdout.write(`\n[test setup] ${msg}\n`));
  Object.assign(process.env, environment.env);
  (globalThis as { __testEnvironment?: unknown }).__testEnvironment = environment;
}
