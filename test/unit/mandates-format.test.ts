import {
  buildMandateMessage,
  latestRegisterAnswer,
  MANDATE_BERICHTSOORTEN,
  MANDATE_NAMESPACE,
  parseRegisterAnswer,
} from '../../integrations/mandates/format';
import { isMandateBerichtsoort, mandatePayloadProblems } from '../../simulator/mandates';

/**
 * The provisional mandate format is written twice, independently: the product's (integrations/mandates/format.ts) and
 * the simulator's (simulator/mandates.ts). Each reads what the other writes.
 */
describe('provisional mandate format', () => {
  const base = { service: 'SBA' as const, year: 2026, continuing: false, fiscalNumber: '123456782', beconNumber: '123456' };

  it('the simulator accepts every message the product builds', () => {
    for (const purpose of ['request', 'revoke'] as const) {
      const berichtsoort = MANDATE_BERICHTSOORTEN[purpose];
      expect(isMandateBerichtsoort(berichtsoort)).toBe(true);
      expect(mandatePayloadProblems(berichtsoort, '123456782', Buffer.from(buildMandateMessage({ ...base, purpose })))).toEqual([]);
    }
    const activation = buildMandateMessage({ ...base, service: 'VIA', purpose: 'activate', activationCode: 'AB1-CD2-EF34' });
    expect(mandatePayloadProblems(MANDATE_BERICHTSOORTEN.activate, '123456782', Buffer.from(activation))).toEqual([]);
  });

  it('the simulator refuses a mismatch with the envelope and malformed messages', () => {
    const request = Buffer.from(buildMandateMessage({ ...base, purpose: 'request' }));
    expect(mandatePayloadProblems(MANDATE_BERICHTSOORTEN.revoke, '123456782', request).join(' ')).toMatch(/past niet/);
    expect(mandatePayloadProblems(MANDATE_BERICHTSOORTEN.request, '999999999', request).join(' ')).toMatch(/wijkt af/);
    expect(mandatePayloadProblems(MANDATE_BERICHTSOORTEN.request, '123456782', Buffer.from('<x/>'))).toEqual(['Het bericht is geen Machtigingsbericht.']);
    expect(() => buildMandateMessage({ ...base, purpose: 'activate' })).toThrow(/activation code/);
  });

  it('escapes content and never carries an activation code outside an activation', () => {
    const xml = buildMandateMessage({ ...base, purpose: 'request', activationCode: 'AB1-CD2-EF34', beconNumber: '<1&2>' });
    expect(xml).not.toContain('AB1-CD2-EF34');
    expect(xml).toContain('&lt;1&amp;2&gt;');
  });

  it('reads the register\'s answers and takes the latest', () => {
    const answer = (toestand: string, at: string, extra = '') =>
      `<Machtigingstoestand xmlns="${MANDATE_NAMESPACE}"><Toestand>${toestand}</Toestand><Tijdstip>${at}</Tijdstip>${extra}</Machtigingstoestand>`;
    expect(parseRegisterAnswer(answer('ONTVANGEN', '2026-01-01T00:00:00Z', '<NaamOpBrief>AA Accountants</NaamOpBrief><Bezwaartermijn>2026-01-27T00:00:00Z</Bezwaartermijn>'))).toEqual({
      state: 'ONTVANGEN',
      at: '2026-01-01T00:00:00Z',
      reason: undefined,
      letterName: 'AA Accountants',
      objectionDeadline: '2026-01-27T00:00:00Z',
    });
    expect(parseRegisterAnswer('<Responsemessage/>')).toBeUndefined();
    expect(parseRegisterAnswer(answer('ONBEKEND', '2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(parseRegisterAnswer(`<!DOCTYPE x><Machtigingstoestand xmlns="${MANDATE_NAMESPACE}"/>`)).toBeUndefined();
    const latest = latestRegisterAnswer([
      { statusdetails: '<Responsemessage/>' },
      { statusdetails: answer('ONTVANGEN', '2026-01-01T00:00:00Z') },
      { statusdetails: answer('ACTIEF', '2026-01-27T00:00:00Z') },
      {},
    ]);
    expect(latest?.state).toBe('ACTIVE');
    expect(parseRegisterAnswer(answer('AFGEWEZEN', '2026-01-02T00:00:00Z', '<Reden>bezwaar</Reden>'))).toMatchObject({ state: 'REJECTED', reason: 'bezwaar' });
  });
});
