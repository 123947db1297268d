/**
 * Exactly once in effect (engineering §6.3): after an aanleveren whose outcome is unknown, which Digipoort process —
 * if any — is this attempt's. Pure: the activity gathers the facts (getProcessen, each process's first status, the
 * kenmerken already claimed by any message or attempt) and asks this.
 *
 * What makes the answer deterministic is the submission lane: only one attempt per berichtsoort and belanghebbende
 * is ever between its intent and its recorded outcome, and every earlier attempt's kenmerk is claimed. An unclaimed
 * process created inside this attempt's window can therefore only be this attempt's — unless someone outside the hub
 * filed for the same client at the same moment, which is the one case a person must decide.
 */

/** A process getProcessen listed for the lane, with the time of its first status (null: none could be read). */
export interface ProcessSeen {
  kenmerk: string;
  firstStatusAt: string | null;
}

export interface ReconcileFacts {
  processes: readonly ProcessSeen[];
  /** Kenmerken that are not this attempt's: they belong to a message or attempt (any hub, any certificate), or were
   * recorded as unknown (ONB) before the attempt began. */
  claimed: ReadonlySet<string>;
  /** When this attempt's durable intent was committed (our clock). */
  attemptStartedAt: string;
  now: string;
  /** Clock difference allowed between the hub and Digipoort. */
  toleranceMs: number;
  /** How long after the intent a missing process proves that the attempt never arrived. */
  graceMs: number;
}

export type ReconcileDecision =
  | { outcome: 'adopt'; kenmerk: string; deliveredAt: string }
  | { outcome: 'wait'; reason: string; retryInMs: number }
  | { outcome: 'absent'; waitedMs: number }
  | { outcome: 'undecidable'; reason: string; candidates: ProcessSeen[] };

/** Default clock tolerance between the hub and Digipoort when matching a process to an attempt's window. */
export const RECONCILE_CLOCK_TOLERANCE_MS = 30_000;

/** The grace period after which a missing process is proof of absence: twice the call timeout, at least 10 s. */
export function reconcileGraceMs(callTimeoutMs: number): number {
  return Math.max(2 * callTimeoutMs, 10_000);
}

export function reconcileDecision(facts: ReconcileFacts): ReconcileDecision {
  const started = Date.parse(facts.attemptStartedAt);
  const now = Date.parse(facts.now);
  const from = started - facts.toleranceMs;
  const until = now + facts.toleranceMs;
  const unclaimed = facts.processes.filter((p) => !facts.claimed.has(p.kenmerk));
  const undated = unclaimed.filter((p) => p.firstStatusAt === null);
  const inWindow = unclaimed.filter((p) => {
    if (p.firstStatusAt === null) return false;
    const at = Date.parse(p.firstStatusAt);
    return at >= from && at <= until;
  });
  const waitedMs = now - started;

  if (inWindow.length > 1) {
    return {
      outcome: 'undecidable',
      candidates: inWindow,
      reason:
        `${inWindow.length} unclaimed Digipoort processes were created inside this attempt's window ` +
        `(${inWindow.map((p) => `${p.kenmerk} at ${p.firstStatusAt}`).join(', ')}), while it was the only attempt of the hub ` +
        'in flight for this message type and belanghebbende: at least one was filed from outside the hub (another sender, or ' +
        'an earlier attempt that arrived late), and Digipoort does not say which is this attempt\'s',
    };
  }
  if (undated.length > 0) {
    // A process without a readable status cannot be placed in time yet; it may be this attempt's.
    if (waitedMs < facts.graceMs) {
      return { outcome: 'wait', reason: `process ${undated.map((p) => p.kenmerk).join(', ')} has no status yet`, retryInMs: 2000 };
    }
    const candidates = [...inWindow, ...undated];
    return {
      outcome: 'undecidable',
      candidates,
      reason:
        `Digipoort lists ${undated.length === 1 ? 'a process' : `${undated.length} processes`} for this message type and belanghebbende ` +
        `without any status after ${Math.round(waitedMs / 1000)} s (${undated.map((p) => p.kenmerk).join(', ')}), so ` +
        'it cannot be placed inside or outside this attempt\'s window',
    };
  }
  if (inWindow.length === 1) {
    return { outcome: 'adopt', kenmerk: inWindow[0].kenmerk, deliveredAt: new Date(Date.parse(inWindow[0].firstStatusAt!)).toISOString() };
  }
  if (waitedMs < facts.graceMs) {
    return { outcome: 'wait', reason: 'no Digipoort process found yet; checking again before concluding it is absent', retryInMs: Math.max(1000, facts.graceMs - waitedMs) };
  }
  return { outcome: 'absent', waitedMs };
}
