import fc from 'fast-check';
import { reconcileDecision, reconcileGraceMs, type ProcessSeen } from '../../domain/reconcile';

const started = '2026-11-30T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(started) + seconds * 1000).toISOString();
const facts = (processes: ProcessSeen[], nowSeconds: number, claimed: string[] = []) => ({
  processes,
  claimed: new Set(claimed),
  attemptStartedAt: started,
  now: at(nowSeconds),
  toleranceMs: 30_000,
  graceMs: 20_000,
});

describe('reconcile decision (exactly once in effect)', () => {
  it('adopts the one unclaimed process inside the window', () => {
    expect(reconcileDecision(facts([{ kenmerk: 'a', firstStatusAt: at(1) }], 5))).toEqual({ outcome: 'adopt', kenmerk: 'a', deliveredAt: at(1) });
  });

  it('never adopts a claimed process, nor one outside the window', () => {
    const processes = [
      { kenmerk: 'claimed', firstStatusAt: at(1) },
      { kenmerk: 'long-ago', firstStatusAt: at(-3600) },
    ];
    expect(reconcileDecision(facts(processes, 5, ['claimed']))).toMatchObject({ outcome: 'wait' });
    expect(reconcileDecision(facts(processes, 25, ['claimed']))).toEqual({ outcome: 'absent', waitedMs: 25_000 });
  });

  it('waits before concluding absence, then concludes it', () => {
    expect(reconcileDecision(facts([], 3))).toMatchObject({ outcome: 'wait', retryInMs: 17_000 });
    expect(reconcileDecision(facts([], 20))).toEqual({ outcome: 'absent', waitedMs: 20_000 });
  });

  it('hands to a person with the reason when two unclaimed processes are in the window', () => {
    const decision = reconcileDecision(facts([{ kenmerk: 'a', firstStatusAt: at(-5) }, { kenmerk: 'b', firstStatusAt: at(1) }], 5));
    expect(decision).toMatchObject({ outcome: 'undecidable', candidates: [{ kenmerk: 'a' }, { kenmerk: 'b' }] });
    expect(decision.outcome === 'undecidable' && decision.reason).toContain('2 unclaimed Digipoort processes');
  });

  it('a process without any status: waits, and after the grace period a person decides', () => {
    expect(reconcileDecision(facts([{ kenmerk: 'a', firstStatusAt: null }], 5))).toMatchObject({ outcome: 'wait' });
    expect(reconcileDecision(facts([{ kenmerk: 'a', firstStatusAt: null }], 25))).toMatchObject({ outcome: 'undecidable' });
  });

  it('grace is twice the call timeout, at least 10 s', () => {
    expect(reconcileGraceMs(60_000)).toBe(120_000);
    expect(reconcileGraceMs(1000)).toBe(10_000);
  });

  it('property: only ever adopts an unclaimed process from inside the window', () => {
    const process = fc.record({ kenmerk: fc.string({ minLength: 1, maxLength: 4 }), offset: fc.integer({ min: -200, max: 200 }), dated: fc.boolean() });
    fc.assert(
      fc.property(fc.array(process, { maxLength: 6 }), fc.array(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 3 }), fc.integer({ min: 0, max: 60 }), (list, claimed, now) => {
        const processes = list.map((p) => ({ kenmerk: p.kenmerk, firstStatusAt: p.dated ? at(p.offset) : null }));
        const decision = reconcileDecision(facts(processes, now, claimed));
        if (decision.outcome !== 'adopt') return true;
        const chosen = processes.find((p) => p.kenmerk === decision.kenmerk)!;
        const seconds = (Date.parse(chosen.firstStatusAt!) - Date.parse(started)) / 1000;
        return !claimed.includes(chosen.kenmerk) && seconds >= -30 && seconds <= now + 30;
      }),
      { numRuns: 2000, seed: 12 },
    );
  });
});
