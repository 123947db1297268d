import { RuleViolation } from './errors';
import { isOpen, type MandateService, type MandateState } from './mandates';

/**
 * C6, seed 000 ("SBA-machtigingen van vertrekkende cliënten"): a departing client's portal access ends and every one
 * of its mandates (SBA and VIA, held requests included) is revoked, each by its own mandate workflow, in one durable
 * departure per client. Once a client departs, no new mandate is requested and no new portal link is issued for it.
 */
export type DeparturePhase = 'starting' | 'ending-portal-access' | 'revoking-mandates' | 'completed' | 'incomplete';

/** `incomplete`: a revocation failed or did not settle; asking for the departure again runs it again. */
export const FINISHED_DEPARTURE_PHASES: readonly DeparturePhase[] = ['completed', 'incomplete'];

export function isDepartureFinished(phase: DeparturePhase): boolean {
  return FINISHED_DEPARTURE_PHASES.includes(phase);
}

/** One departure workflow per client, named with internal ids only. */
export function clientDepartureWorkflowId(participant: string, organisationId: string): string {
  return `client-departure-${participant}-${organisationId}`;
}

/** How one of the client's mandates ended (or stands, when it did not settle). */
export interface DepartedMandate {
  mandateId: string;
  service: MandateService;
  year: number;
  state: MandateState;
  /** Why its revocation failed, or why it ended as it did. */
  reason: string | null;
}

export interface DepartureOutcome {
  complete: boolean;
  mandates: DepartedMandate[];
  summary: string;
}

/** The departure is complete when none of the client's mandates is open any more. */
export function departureOutcome(mandates: readonly DepartedMandate[], portal: { tokens: number; sessions: number }): DepartureOutcome {
  const open = mandates.filter((m) => isOpen(m.state));
  const counts = new Map<MandateState, number>();
  for (const m of mandates) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
  const states = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const access = `portal access ended (${portal.tokens} link(s), ${portal.sessions} session(s) revoked)`;
  return {
    complete: open.length === 0,
    mandates: [...mandates],
    summary:
      open.length === 0
        ? `${access}; ${mandates.length} mandate(s) settled${states ? `: ${states}` : ''}`
        : `${access}; ${open.length} of ${mandates.length} mandate(s) still open: ${open.map((m) => `${m.service} ${m.year} (${m.reason ?? m.state})`).join('; ')}`,
  };
}

/** C6: a client that departs (or departed) gets no new mandate and no new portal link. */
export function assertNotDeparted(departure: { phase: DeparturePhase } | undefined, what: string): void {
  if (!departure) return;
  throw new RuleViolation(
    'C6',
    `the client ${isDepartureFinished(departure.phase) ? 'departed' : 'is departing'} (POST .../organisations/{id}/departure): ${what} is refused`,
    'conflict',
  );
}

/** The departure's checklist for the Web UI's current details. */
export function departureMarkdown(view: { phase: DeparturePhase; total: number; settled: number; reason: string | null }): string {
  const mark = (done: boolean) => (done ? '[x]' : '[ ]');
  const portalEnded = ['revoking-mandates', 'completed', 'incomplete'].includes(view.phase);
  return [
    `**Client departure** — ${view.phase}`,
    '',
    `- ${mark(portalEnded)} End the client's portal access`,
    `- ${mark(isDepartureFinished(view.phase))} Revoke every mandate: ${view.settled} of ${view.total} settled`,
    view.reason ? `\n${view.reason}` : '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}
