/**
 * The CPU-heavy, pure work of the API, run in a worker thread (`off-thread.ts`) so a 20 MiB instance never stalls
 * the event loop. Each task answers a structured-clone-safe outcome: errors travel as their name, message and the
 * rule or field they carry, and are rebuilt as the same error classes on the other side.
 */
import { RuleViolation, ValidationError } from '../../domain/errors';
import type { FilingKind } from '../../domain/filings';
import type { TaxPeriod } from '../../domain/periods';
import { buildContent, type FilingRequest } from '../../integrations/xbrl/filing-content';
import { portalContent, type PortalFiling } from './portal-content';

export type TaskError =
  | { name: 'RuleViolation'; rule: string; kind: 'conflict' | 'invalid' | 'forbidden'; message: string; field?: string }
  | { name: 'ValidationError'; field: string; message: string }
  | { name: 'Error'; message: string };

export type TaskOutcome<T> = { ok: true; value: T } | { ok: false; error: TaskError };

export interface ContentTask {
  kind: FilingKind;
  request: FilingRequest;
  identifier: string;
  period: TaxPeriod;
  reference: string;
  now: string;
  beconNumber?: string;
}

function outcome<T>(work: () => T): TaskOutcome<T> {
  try {
    return { ok: true, value: work() };
  } catch (err) {
    if (err instanceof RuleViolation) return { ok: false, error: { name: 'RuleViolation', rule: err.rule, kind: err.kind, message: err.message.slice(err.rule.length + 2), field: err.field } };
    if (err instanceof ValidationError) return { ok: false, error: { name: 'ValidationError', field: err.field, message: err.message } };
    return { ok: false, error: { name: 'Error', message: err instanceof Error ? err.message : String(err) } };
  }
}

export const TASKS = {
  /** Builds (figures) or checks (a ready instance) the XBRL content of a filing. */
  buildContent: (task: ContentTask) =>
    outcome(() => buildContent(task.kind, task.request, task.identifier, task.period, task.reference, new Date(task.now), task.beconNumber)),
  /** What the client approves, read from the content, as the templates show it. */
  portalContent: (filing: PortalFiling) => outcome(() => portalContent(filing)),
};

export type TaskName = keyof typeof TASKS;
/** What a task answers when it succeeds. */
export type TaskValue<N extends TaskName> = ReturnType<(typeof TASKS)[N]> extends TaskOutcome<infer T> ? T : never;
