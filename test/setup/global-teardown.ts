import type { TestEnvironment } from './environment';

export default async function globalTeardown(): Promise<void> {
  const environment = (globalThis as { __testEnvironment?: TestEnvironment }).__testEnvironment;
  await environment?.stop();
}
