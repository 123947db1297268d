import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { RECONCILE_CLOCK_TOLERANCE_MS, reconcileDecision, reconcileGraceMs, type ProcessSeen, type ReconcileDecision } from '../domain/reconcile';
import type { Pool } from '../db/pool';
import { claimedKenmerken, describeHolder, unknownBefore, type AttemptRow, type LaneHolder } from '../db/repositories/submission-attempts';
import type { WusClient } from '../integrations/wus/client';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../integrations/wus/errors';

/**
 * What filings and mandate messages share in sending exactly once in effect: how an aanleveren failure counts, the
 * wait for a busy submission lane, and reconcile against Digipoort (getProcessen, then the pure rule in
 * `domain/reconcile.ts`).
 */

export type SendFailure =
  /** Digipoort refused it (a fault) or it was refused before sending: definite, nothing accepted. */
  | { kind: 'refused'; reason: string }
  /** Provably never reached Digipoort (no connection, TLS refused before the request): may simply be sent again. */
  | { kind: 'not-sent'; reason: string }
  /** Digipoort may have processed it: reconcile before any resend. */
  | { kind: 'ambiguous'; reason: string };

export function classifySendFailure(err: unknown): SendFailure | undefined {
  if (err instanceof WusFault) return { kind: 'refused', reason: `Digipoort refused the message: ${err.foutcode} ${err.foutbeschrijving}` };
  if (err instanceof WusRequestError) return { kind: 'refused', reason: `not sent: ${err.message}` };
  if (err instanceof WusTransportError && !err.ambiguous) return { kind: 'not-sent', reason: `not sent (${err.failure}): ${err.message}` };
  if (err instanceof WusTransportError || err instanceof WusSecurityError) return { kind: 'ambiguous', reason: err.message };
  return undefined;
}

export const LANE_BUSY = 'LaneBusy';

/**
 * The retried failure after an attempt that did not settle. Its delay is explicit: retries spent waiting for the lane
 * must not stretch the backoff, so an ambiguous attempt is reconciled at once and a provably unsent one tried again
 * after a few seconds.
 */
export function retryFailure(failure: SendFailure & { kind: 'not-sent' | 'ambiguous' }): ApplicationFailure {
  return failure.kind === 'ambiguous'
    ? ApplicationFailure.create({ message: failure.reason, type: 'AmbiguousSubmission', nextRetryDelay: 500 })
    : ApplicationFailure.create({ message: failure.reason, type: 'DigipoortUnavailable', nextRetryDelay: 3000 + Math.floor(Math.random() * 3000) });
}

/** The lane is held by another message's attempt: try again shortly (a benign retry, not an error). */
export function laneBusyFailure(holder: LaneHolder): ApplicationFailure {
  return ApplicationFailure.create({
    message: `waiting its turn: ${describeHolder(holder)}`,
    type: LANE_BUSY,
    nextRetryDelay: 1000 + Math.floor(Math.random() * 1000),
    category: ApplicationFailureCategory.BENIGN,
  });
}

/**
 * Looks the attempt's process up at Digipoort: the lane's processes, minus every kenmerk already claimed (or seen as
 * unknown before the attempt began), placed in time by their first status, then decided by the pure rule.
 */
export async function reconcileOnDigipoort(
  client: WusClient,
  pool: Pool,
  attempt: AttemptRow,
  options: { callTimeoutMs: number; now: Date; signal?: AbortSignal },
): Promise<ReconcileDecision> {
  try {
    return await lookUp(client, pool, attempt, options);
  } catch (err) {
    if (!(err instanceof WusTransportError || err instanceof WusSecurityError || err instanceof WusFault)) throw err;
    // Digipoort cannot be asked right now: ask again soon, less often the longer the attempt has been open (so a
    // recovering Digipoort is not flooded), at most every 30 s.
    const open = options.now.getTime() - attempt.started_at.getTime();
    throw ApplicationFailure.create({
      message: `reconcile could not ask Digipoort (${err instanceof WusFault ? err.foutcode : err.message}); asking again`,
      type: 'ReconcileUnavailable',
      nextRetryDelay: Math.min(30_000, 2000 + Math.floor(open / 10)),
    });
  }
}

async function lookUp(
  client: WusClient,
  pool: Pool,
  attempt: AttemptRow,
  options: { callTimeoutMs: number; now: Date; signal?: AbortSignal },
): Promise<ReconcileDecision> {
  const processes = await client.getProcessen(
    { berichtsoort: attempt.berichtsoort, identiteitBelanghebbende: { nummer: attempt.identity_number, type: attempt.identity_type } },
    options.signal,
  );
  const kenmerken = processes.map((p) => p.kenmerk);
  // Not this attempt's: a kenmerk any message or attempt owns, or one the hub had already seen as unknown before
  // the attempt began.
  const claimed = new Set([...(await claimedKenmerken(pool, kenmerken)), ...(await unknownBefore(pool, kenmerken, attempt.started_at))]);
  const seen: ProcessSeen[] = [];
  for (const process of processes) {
    if (claimed.has(process.kenmerk)) continue;
    const statuses = await client.getStatussenProces({ kenmerk: process.kenmerk }, options.signal);
    const first = statuses.map((s) => Date.parse(s.tijdstempelStatus)).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b)[0];
    seen.push({ kenmerk: process.kenmerk, firstStatusAt: first === undefined ? null : new Date(first).toISOString() });
  }
  return reconcileDecision({
    processes: seen,
    claimed,
    attemptStartedAt: attempt.started_at.toISOString(),
    now: options.now.toISOString(),
    toleranceMs: RECONCILE_CLOCK_TOLERANCE_MS,
    graceMs: reconcileGraceMs(options.callTimeoutMs),
  });
}
