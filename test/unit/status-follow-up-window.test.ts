import { DEFAULT_FOLLOW_UP_AT_MS, FOLLOW_UP_GRACE_MS, followUpWindowMs } from '../../domain/status-follow-up';

describe("how long a sent process is its filing's own (issue 10)", () => {
  it('is the follow-up\'s last moment plus the slack, 75 s with the defaults', () => {
    expect(followUpWindowMs(DEFAULT_FOLLOW_UP_AT_MS)).toBe(60_000 + FOLLOW_UP_GRACE_MS);
    expect(followUpWindowMs([1000, 3000])).toBe(3000 + FOLLOW_UP_GRACE_MS);
  });

  it('is nothing without a follow-up: the hub\'s send/receive asks every open process', () => {
    expect(followUpWindowMs([])).toBe(0);
  });
});
