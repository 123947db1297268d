import { loadStatusFollowUp } from '../../config';

describe('status follow-up settings (STATUS_FOLLOW_UP_AT, STATUS_FOLLOW_UP_PER_SECOND)', () => {
  it('defaults to 2, 5, 15 and 60 s after sending, 20 polls a second per hub (burst 40)', () => {
    expect(loadStatusFollowUp({})).toEqual({ atMs: [2000, 5000, 15000, 60000], rate: { perSecond: 20, burst: 40 } });
  });

  it('takes other moments and rates, and "none" for no follow-up', () => {
    expect(loadStatusFollowUp({ STATUS_FOLLOW_UP_AT: '1, 3', STATUS_FOLLOW_UP_PER_SECOND: '0.5' })).toEqual({ atMs: [1000, 3000], rate: { perSecond: 0.5, burst: 1 } });
    expect(loadStatusFollowUp({ STATUS_FOLLOW_UP_AT: 'none' }).atMs).toEqual([]);
  });

  it('refuses moments that are not ascending seconds and a rate that is not a number ≥ 0, naming the variable', () => {
    expect(() => loadStatusFollowUp({ STATUS_FOLLOW_UP_AT: '5,2' })).toThrow(/STATUS_FOLLOW_UP_AT/);
    expect(() => loadStatusFollowUp({ STATUS_FOLLOW_UP_AT: '2,soon' })).toThrow(/STATUS_FOLLOW_UP_AT/);
    expect(() => loadStatusFollowUp({ STATUS_FOLLOW_UP_PER_SECOND: '-1' })).toThrow(/STATUS_FOLLOW_UP_PER_SECOND/);
    expect(() => loadStatusFollowUp({ STATUS_FOLLOW_UP_PER_SECOND: 'fast' })).toThrow(/STATUS_FOLLOW_UP_PER_SECOND/);
  });
});
