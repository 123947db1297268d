import { assertNotDeparted, clientDepartureWorkflowId, departureOutcome, isDepartureFinished } from '../../domain/client-departures';
import { assertAuthorisable, assertAuthorisationRefusable, refusedAuthorisationReason } from '../../domain/mandate-authorisation';
import { assertMandateDeletable, isSettled, type MandateState } from '../../domain/mandates';
import { refusal } from '../helpers/refusal';

/** C6: four eyes on mandate requests, departing clients, deleting settled mandates (pure rules). */
describe('mandate authorisation (C6 four eyes)', () => {
  const held = { state: 'REQUESTED' as MandateState, authorisation: 'awaiting' as const, requestedByToken: 'token-a' };

  it('another token may authorise a held request; the requesting token may not', () => {
    expect(() => assertAuthorisable(held, 'token-b')).not.toThrow();
    const own = refusal(() => assertAuthorisable(held, 'token-a'));
    expect(own).toMatchObject({ rule: 'C6', kind: 'forbidden' });
    expect(own.message).toContain('four eyes');
  });

  it('only a held request that is still REQUESTED takes a decision', () => {
    expect(refusal(() => assertAuthorisable({ ...held, authorisation: null }, 'token-b')).message).toContain('needs no authorisation');
    expect(refusal(() => assertAuthorisable({ ...held, authorisation: 'authorised' }, 'token-b')).message).toContain('authorised already');
    expect(refusal(() => assertAuthorisationRefusable({ ...held, authorisation: 'refused' })).kind).toBe('conflict');
    expect(refusal(() => assertAuthorisable({ ...held, state: 'REVOKED' }, 'token-b')).message).toContain('REVOKED');
    expect(() => assertAuthorisationRefusable(held)).not.toThrow();
    expect(refusedAuthorisationReason('staff b', 'wrong client')).toBe('not authorised: refused by staff b (wrong client); nothing was sent');
  });
});

describe('departing clients (C6)', () => {
  it('one workflow per client; finished when completed or incomplete', () => {
    expect(clientDepartureWorkflowId('12345', 'org-1')).toBe('client-departure-12345-org-1');
    expect(isDepartureFinished('revoking-mandates')).toBe(false);
    expect(isDepartureFinished('incomplete')).toBe(true);
  });

  it('complete only when none of its mandates is open', () => {
    const portal = { tokens: 1, sessions: 2 };
    const done = departureOutcome(
      [
        { mandateId: 'a', service: 'SBA', year: 2026, state: 'REVOKED', reason: null },
        { mandateId: 'b', service: 'VIA', year: 2026, state: 'REVOKED', reason: null },
      ],
      portal,
    );
    expect(done.complete).toBe(true);
    expect(done.summary).toBe('portal access ended (1 link(s), 2 session(s) revoked); 2 mandate(s) settled: 2 REVOKED');
    const open = departureOutcome([{ mandateId: 'a', service: 'SBA', year: 2026, state: 'ACTIVE', reason: 'the register refused the revocation' }], portal);
    expect(open.complete).toBe(false);
    expect(open.summary).toContain('1 of 1 mandate(s) still open: SBA 2026 (the register refused the revocation)');
  });

  it('a departing or departed client gets nothing new', () => {
    expect(() => assertNotDeparted(undefined, 'a new portal link')).not.toThrow();
    expect(refusal(() => assertNotDeparted({ phase: 'revoking-mandates' }, 'a new portal link')).message).toContain('is departing');
    expect(refusal(() => assertNotDeparted({ phase: 'completed' }, 'a new mandate request')).message).toContain('departed');
  });
});

describe('deleting mandates (C6)', () => {
  it('only settled mandates, with nothing in flight and no runbook working with them', () => {
    expect(['REJECTED', 'REVOKED', 'EXPIRED'].every((s) => isSettled(s as MandateState))).toBe(true);
    expect(['REQUESTED', 'ONTVANGEN', 'ACTIVE'].some((s) => isSettled(s as MandateState))).toBe(false);
    expect(() => assertMandateDeletable({ state: 'REVOKED', inFlight: null, runbook: null })).not.toThrow();
    expect(refusal(() => assertMandateDeletable({ state: 'ACTIVE', inFlight: null, runbook: null }))).toMatchObject({ rule: 'C6', kind: 'conflict' });
    expect(refusal(() => assertMandateDeletable({ state: 'REJECTED', inFlight: 'its workflow is still finishing', runbook: null })).message).toContain('still finishing');
    expect(refusal(() => assertMandateDeletable({ state: 'EXPIRED', inFlight: null, runbook: 'runbook RB1 x' })).message).toContain('runbook RB1 x');
  });
});
