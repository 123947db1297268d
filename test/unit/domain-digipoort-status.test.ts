import fc from 'fast-check';
import {
  classifyStatus,
  DIGIPOORT_HAPPY_FLOW,
  DIGIPOORT_STATUSES,
  digipoortFailureKind,
  FINAL_STATUS_RANK,
  mergeStatus,
  statusLogHint,
  statusRank,
  type DigipoortReceiver,
  type StatusEvent,
} from '../../domain/digipoort-status';

const FC = { seed: 20260115, numRuns: 300 };
const RECEIVERS: DigipoortReceiver[] = ['belastingdienst', 'kvk'];

describe('status table (digipoort-wus.md §5.1, §5.2)', () => {
  it('has the exact statusomschrijving of the captured Happyflow', () => {
    const texts = Object.fromEntries(
      Object.values(DIGIPOORT_STATUSES)
        .filter((d) => d.statusomschrijving !== undefined)
        .map((d) => [d.code, d.statusomschrijving]),
    );
    expect(texts).toEqual({
      '105': 'Aanleverproces gestart.',
      '100': 'Aanleveren gelukt.',
      '110': 'Aanleverproces wordt aangeboden.',
      '200': 'Authenticatie gelukt.',
      '301': 'Validatie gelukt.',
      '405': 'Afleveren naar uitvragende partij bezig...',
      '400': 'Afleveren uitvragende partij gelukt.',
      '500': 'Validatie bij de uitvragende partij gelukt.',
    });
  });

  it('lists the other §5.2 codes with meaning and finality, and nothing unsourced', () => {
    expect(Object.keys(DIGIPOORT_STATUSES).sort()).toEqual(
      ['100', '105', '110', '200', '210', '220', '230', '301', '311', '321', '400', '405', '410', '420', '500', '510', '710', '720'].sort(),
    );
    for (const d of Object.values(DIGIPOORT_STATUSES)) {
      expect(d.meaningNl.length).toBeGreaterThan(0);
      expect(d.meaningEn.length).toBeGreaterThan(0);
    }
    expect(DIGIPOORT_STATUSES['210'].finality).toBe('final-failure');
    expect(DIGIPOORT_STATUSES['420'].finality).toBe('conditional');
    expect(DIGIPOORT_STATUSES['720'].finality).toBe('unverified');
    for (const code of ['101', '102', '300', '501', '600']) expect(DIGIPOORT_STATUSES[code]).toBeUndefined();
  });

  it('DIGIPOORT_HAPPY_FLOW is the nine-step sequence ending in 500, with 301 twice', () => {
    expect(DIGIPOORT_HAPPY_FLOW.map((s) => s.code)).toEqual(['105', '100', '110', '200', '301', '301', '405', '400', '500']);
    expect(DIGIPOORT_HAPPY_FLOW[0].statusomschrijving).toBe('Aanleverproces gestart.');
    expect(DIGIPOORT_HAPPY_FLOW[8].statusomschrijving).toBe('Validatie bij de uitvragende partij gelukt.');
  });
});

describe('classifyStatus (§5.3)', () => {
  it.each(RECEIVERS)('the happy flow is in progress until 500, which is success (%s)', (receiver) => {
    const classes = DIGIPOORT_HAPPY_FLOW.map((s) => classifyStatus({ code: s.code, receiver }));
    expect(classes).toEqual([...Array(8).fill('in-progress'), 'success']);
  });

  it('400 is in progress for the tax authority and, by our decision, for KvK too', () => {
    expect(classifyStatus({ code: '400', receiver: 'belastingdienst' })).toBe('in-progress');
    expect(classifyStatus({ code: '400', receiver: 'kvk' })).toBe('in-progress');
    expect(classifyStatus({ code: '500', receiver: 'kvk' })).toBe('success');
  });

  it.each(['210', '230', '311', '321', '410', '510'])('%s is a failure', (code) => {
    for (const receiver of RECEIVERS) expect(classifyStatus({ code, receiver })).toBe('failure');
  });

  it('any statusFoutcode makes a status a failure', () => {
    expect(classifyStatus({ code: '301', foutcode: 'VAS500', receiver: 'belastingdienst' })).toBe('failure');
    expect(classifyStatus({ code: '500', foutcode: 'X', receiver: 'kvk' })).toBe('failure');
    expect(classifyStatus({ code: '999', foutcode: 'X', receiver: 'kvk' })).toBe('failure');
    // An empty fault code is no fault code.
    expect(classifyStatus({ code: '301', foutcode: '', receiver: 'belastingdienst' })).toBe('in-progress');
    expect(classifyStatus({ code: '301', foutcode: '  ', receiver: 'belastingdienst' })).toBe('in-progress');
  });

  it('420 is a failure only with AFS600; Digipoort is still retrying otherwise', () => {
    expect(classifyStatus({ code: '420', foutcode: 'AFS600', receiver: 'belastingdienst' })).toBe('failure');
    expect(classifyStatus({ code: '420', foutcode: ' afs600 ', receiver: 'kvk' })).toBe('failure');
    expect(classifyStatus({ code: '420', receiver: 'belastingdienst' })).toBe('in-progress');
    expect(classifyStatus({ code: '420', foutcode: 'AFS400', receiver: 'belastingdienst' })).toBe('in-progress');
  });

  it.each(['999', '220', '710', '720', '', '500 ', 'abc'])('%p is unknown (not final)', (code) => {
    expect(classifyStatus({ code, receiver: 'belastingdienst' })).toBe('unknown');
  });

  it('does not take inherited object keys for codes', () => {
    expect(classifyStatus({ code: 'toString', receiver: 'kvk' })).toBe('unknown');
    expect(classifyStatus({ code: '__proto__', receiver: 'kvk' })).toBe('unknown');
  });

  it('tells technical failures from content rejections', () => {
    expect(digipoortFailureKind({ code: '210', receiver: 'belastingdienst' })).toBe('technical');
    expect(digipoortFailureKind({ code: '420', foutcode: 'AFS600', receiver: 'belastingdienst' })).toBe('technical');
    expect(digipoortFailureKind({ code: '311', foutcode: 'VAS500', receiver: 'belastingdienst' })).toBe('rejected');
    expect(digipoortFailureKind({ code: '510', receiver: 'kvk' })).toBe('rejected');
    expect(digipoortFailureKind({ code: '500', receiver: 'kvk' })).toBeUndefined();
    expect(digipoortFailureKind({ code: '420', receiver: 'kvk' })).toBeUndefined();
  });
});

describe('statusRank and mergeStatus (H6)', () => {
  it('ranks by progress, not by number', () => {
    const order = ['105', '100', '110', '200', '301', '405', '420', '400'];
    const ranks = order.map((c) => statusRank(c));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks).size).toBe(order.length);
    expect(statusRank('105')).toBeLessThan(statusRank('100'));
    expect(statusRank('405')).toBeLessThan(statusRank('400'));
    expect(statusRank('400')).toBeLessThan(statusRank('500'));
  });

  it('ranks every final status, success or failure, equally above every in-progress status', () => {
    for (const code of ['500', '210', '230', '311', '321', '410', '510']) expect(statusRank(code)).toBe(FINAL_STATUS_RANK);
    expect(statusRank('420', 'AFS600')).toBe(FINAL_STATUS_RANK);
    expect(statusRank('301', 'VAS500')).toBe(FINAL_STATUS_RANK);
    for (const code of ['105', '100', '110', '200', '301', '405', '420', '400']) expect(statusRank(code)).toBeLessThan(FINAL_STATUS_RANK);
  });

  it('ranks unknown codes 0', () => {
    for (const code of ['999', '220', '710', '720', '']) expect(statusRank(code)).toBe(0);
  });

  it('applies only a higher status; ties keep current', () => {
    const sent = { code: '100' };
    const accepted = { code: '500' };
    expect(mergeStatus(undefined, sent)).toBe(sent);
    expect(mergeStatus(sent, accepted)).toBe(accepted);
    expect(mergeStatus(accepted, sent)).toBe(accepted); // an accepted filing never goes back to "sent"
    const first301 = { code: '301', timestamp: '2026-04-15T10:00:00.040Z' };
    const second301 = { code: '301', timestamp: '2026-04-15T10:00:00.050Z' };
    expect(mergeStatus(first301, second301)).toBe(first301);
    const rejected = { code: '311', foutcode: 'VAS500' };
    expect(mergeStatus(rejected, accepted)).toBe(rejected); // the first final status stays
    expect(mergeStatus(sent, { code: '999' })).toBe(sent);
    const unknown = { code: '999' };
    expect(mergeStatus(undefined, unknown)).toBe(unknown);
    expect(mergeStatus(unknown, sent)).toBe(sent);
    expect(mergeStatus({ code: '420' }, { code: '420', foutcode: 'AFS600' })).toEqual({ code: '420', foutcode: 'AFS600' });
    expect(mergeStatus({ code: '420' }, { code: '400' })).toEqual({ code: '400' });
  });

  it('property: merging any permutation of the happy flow yields 500', () => {
    const events = DIGIPOORT_HAPPY_FLOW.map((s) => ({ code: s.code, description: s.statusomschrijving }));
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length }), (perm) => {
        const merged = perm.reduce<StatusEvent | undefined>((current, e) => mergeStatus(current, e), undefined);
        return merged?.code === '500';
      }),
      FC,
    );
  });

  it('property: once final, a status is never replaced, and the rank never decreases', () => {
    const anyCode = fc.oneof(
      fc.constantFrom(...Object.keys(DIGIPOORT_STATUSES)),
      fc.integer({ min: 0, max: 999 }).map(String),
    );
    const anyEvent = fc.record({ code: anyCode, foutcode: fc.option(fc.constantFrom('AFS600', 'VAS500', 'AFS400'), { nil: undefined }) });
    const finalEvent = fc.oneof(
      fc.constantFrom('500', '210', '230', '311', '321', '410', '510').map((code) => ({ code })),
      fc.constant({ code: '420', foutcode: 'AFS600' }),
    );
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 10 }), finalEvent, fc.array(anyEvent, { maxLength: 15 }), (before, final, after) => {
        let current: StatusEvent | undefined;
        let rank = -1;
        for (const e of before) {
          current = mergeStatus(current, e);
          const r = statusRank(current.code, current.foutcode);
          if (r < rank) return false;
          rank = r;
        }
        current = mergeStatus(current, final);
        const finalApplied = current;
        if (statusRank(finalApplied.code, finalApplied.foutcode) !== FINAL_STATUS_RANK) return false;
        for (const e of after) current = mergeStatus(current, e);
        return current === finalApplied;
      }),
      FC,
    );
  });
});

describe('statusLogHint (H13)', () => {
  it('210: check the certificate', () => {
    expect(statusLogHint('210')).toMatch(/^H13: check which certificate was used and that it is known at the service provider$/);
  });

  it.each(['410', '420', '321', '230'])('%s: problem at the receiver, retry later', (code) => {
    expect(statusLogHint(code)).toMatch(/^H13: problem at the receiver: retry later/);
  });

  it('420 warns not to resend while Digipoort retries', () => {
    expect(statusLogHint('420')).toMatch(/72 hours/);
  });

  it.each(['500', '100', '311', '999'])('%s: no hint', (code) => {
    expect(statusLogHint(code)).toBeUndefined();
  });
});
