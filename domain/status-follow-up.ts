/**
 * A filing's own status follow-up after aanleveren (issue 10): the moments at which it polls its process, and how long
 * the hub's scheduled send/receive leaves a freshly sent process to it. Pure, shared by the workflow, the activities
 * and the configuration.
 */

/** 2 s, 5 s, 15 s and 1 min after sending; then the hub's send/receive carries the filing. */
export const DEFAULT_FOLLOW_UP_AT_MS: readonly number[] = [2000, 5000, 15000, 60000];

/** Slack after the last moment: the last poll may wait behind other work on a busy worker before it runs. */
export const FOLLOW_UP_GRACE_MS = 15_000;

/**
 * How long after sending a scheduled send/receive run skips a process whose filing is still following it itself
 * (0: no follow-up, every open process is asked). Asking it in both places doubles the Digipoort calls while a
 * deadline-day backlog is sent; on-demand and full-scan runs still ask every process.
 */
export function followUpWindowMs(atMs: readonly number[]): number {
  return atMs.length === 0 ? 0 : atMs[atMs.length - 1] + FOLLOW_UP_GRACE_MS;
}
