import { readEnv } from '../config/env';
import type { Logger } from './logger';

/**
 * Graceful shutdown for a long-running process: the first SIGINT/SIGTERM runs `stop` once; a second signal, or a
 * stop that takes longer than `timeoutMs`, exits hard. When started by `npm start` (SUPERVISOR_PID set), the process
 * also stops when the supervisor disappears, so a killed supervisor leaves no orphans.
 */
export function runUntilSignalled(logger: Logger, stop: () => Promise<void>, timeoutMs = 15_000): void {
  let stopping = false;
  const shutdown = (reason: string): void => {
    if (stopping) {
      logger.warn({ reason }, 'second stop request: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ reason }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const supervisor = Number(readEnv('SUPERVISOR_PID'));
  if (Number.isInteger(supervisor) && supervisor > 0) {
    const watch = setInterval(() => {
      if (!isAlive(supervisor)) shutdown('supervisor gone');
    }, 1000);
    watch.unref();
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
