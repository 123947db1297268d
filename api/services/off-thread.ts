import { availableParallelism } from 'node:os';
import path from 'node:path';
import Piscina from 'piscina';
import { RuleViolation, ValidationError } from '../../domain/errors';
import type { ContentTask, TaskError, TaskName, TaskOutcome, TaskValue, TASKS } from './off-thread-tasks';
import type { ContentModel, PortalFiling } from './portal-content';

/**
 * A small pool of worker threads (piscina) for the API's CPU-heavy pure work: building and checking XBRL content,
 * reading a filing's content for the portal. The event loop stays free for every other request (`/health` included) while a
 * 20 MiB instance is parsed. Threads start on demand and stop when idle.
 */
export class OffThread {
  private readonly pool: Piscina;

  constructor(options: { maxThreads?: number } = {}) {
    this.pool = new Piscina({
      filename: path.join(__dirname, 'off-thread-worker.cjs'),
      minThreads: 0,
      maxThreads: options.maxThreads ?? Math.max(1, availableParallelism() - 1),
      idleTimeout: 30_000,
    });
  }

  buildContent(task: ContentTask): Promise<string> {
    return this.run('buildContent', task);
  }

  /** What the client approves, read from the filing's content (the templates render it). */
  portalContent(filing: PortalFiling): Promise<ContentModel> {
    return this.run('portalContent', filing);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private async run<N extends TaskName, T = TaskValue<N>>(task: N, input: Parameters<(typeof TASKS)[N]>[0]): Promise<T> {
    const result = (await this.pool.run({ task, input })) as TaskOutcome<T>;
    if (result.ok) return result.value;
    throw rebuild(result.error);
  }
}

function rebuild(error: TaskError): Error {
  if (error.name === 'RuleViolation') return new RuleViolation(error.rule, error.message, error.kind, error.field);
  if (error.name === 'ValidationError') return new ValidationError(error.field, error.message);
  return new Error(error.message);
}
