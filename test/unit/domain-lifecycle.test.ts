import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  assertTransition,
  canTransition,
  isFinalLifecycle,
  isLifecycleCode,
  LIFECYCLE,
  LIFECYCLE_CODES,
  LIFECYCLE_TRANSITIONS,
  lifecycleFromDigipoort,
  lifecycleFromDigipoortStatus,
  lifecycleLabel,
  type LifecycleCode,
} from '../../domain/lifecycle';
import { refusal } from '../helpers/refusal';

describe('LIFECYCLE (K4)', () => {
  it('has the twelve codes in order, each keyed by itself', () => {
    expect(LIFECYCLE_CODES).toEqual([0, 5, 10, 20, 25, 30, 40, 50, 60, 70, 80, 90]);
    expect(Object.keys(LIFECYCLE).map(Number)).toEqual([...LIFECYCLE_CODES]);
    for (const code of LIFECYCLE_CODES) expect(LIFECYCLE[code].code).toBe(code);
  });

  it('uses the seed’s Dutch KvK wording verbatim', () => {
    const seedsDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'seeds');
    let seed: string | undefined;
    try {
      const file = readdirSync(seedsDir).find((f) => f.startsWith('003_'));
      if (file) seed = readFileSync(path.join(seedsDir, file), 'utf8');
    } catch {
      seed = undefined; // the seeds live outside the repository; the literal checks below still run
    }
    const nl = LIFECYCLE_CODES.map((code) => lifecycleLabel(code, 'kvk', 'nl'));
    expect(nl).toEqual([
      'Klaargezet voor verzending naar portal',
      'Fout bij verzenden naar portal',
      'Verzonden naar portal',
      'Bezig met verwerken in portal',
      'Fout bij verwerken in portal',
      'Aangeboden ter beoordeling door cliënt',
      'Afgekeurd door cliënt',
      'Goedgekeurd door cliënt en klaargezet voor verzending naar KvK',
      'Goedgekeurd door cliënt en verzonden naar KvK',
      'Fout bij verzenden naar KvK',
      'Gedeponeerd bij KvK',
      'Afgekeurd door KvK',
    ]);
    if (seed !== undefined) for (const label of nl) expect(seed).toContain(label);
  });

  it('names the authority in the English labels', () => {
    expect(lifecycleLabel(50, 'kvk')).toBe('Approved by the client, prepared for sending to KvK');
    expect(lifecycleLabel(50, 'belastingdienst')).toBe('Approved by the client, prepared for sending to the tax authority');
    expect(lifecycleLabel(60, 'belastingdienst')).toBe('Approved by the client and sent to the tax authority');
    expect(lifecycleLabel(70, 'kvk')).toBe('Error sending to KvK');
    expect(lifecycleLabel(80, 'kvk')).toBe('Deposited at KvK');
    expect(lifecycleLabel(80, 'belastingdienst')).toBe('Accepted by the tax authority');
    expect(lifecycleLabel(90, 'belastingdienst')).toBe('Rejected by the tax authority');
    expect(lifecycleLabel(90, 'belastingdienst', 'nl')).toBe('Afgekeurd door de Belastingdienst');
    expect(lifecycleLabel(30, 'kvk')).toBe(lifecycleLabel(30, 'belastingdienst'));
  });

  it('40, 80 and 90 are final; 70 is an error that can be reset (H10)', () => {
    expect(LIFECYCLE_CODES.filter((c) => isFinalLifecycle(c))).toEqual([40, 80, 90]);
    expect(isFinalLifecycle(70)).toBe(false);
    expect(LIFECYCLE[70].error).toBe(true);
    expect(LIFECYCLE_CODES.filter((c) => LIFECYCLE[c].error)).toEqual([5, 25, 70]);
    expect(isFinalLifecycle(99 as LifecycleCode)).toBe(false);
    expect(isLifecycleCode(25)).toBe(true);
    expect(isLifecycleCode(15)).toBe(false);
    expect(isLifecycleCode('10')).toBe(false);
  });
});

describe('lifecycle from Digipoort', () => {
  it('maps a classification: success → 80, failure → 90, in-progress → 60', () => {
    expect(lifecycleFromDigipoort('success')).toBe(80);
    expect(lifecycleFromDigipoort('failure')).toBe(90);
    expect(lifecycleFromDigipoort('in-progress')).toBe(60);
    expect(lifecycleFromDigipoort('unknown')).toBe(60);
  });

  it('maps a status, sending technical failures to 70 and content rejections to 90', () => {
    expect(lifecycleFromDigipoortStatus({ code: '500', receiver: 'kvk' })).toBe(80);
    expect(lifecycleFromDigipoortStatus({ code: '400', receiver: 'kvk' })).toBe(60);
    expect(lifecycleFromDigipoortStatus({ code: '311', foutcode: 'VAS500', receiver: 'belastingdienst' })).toBe(90);
    expect(lifecycleFromDigipoortStatus({ code: '510', receiver: 'kvk' })).toBe(90);
    expect(lifecycleFromDigipoortStatus({ code: '210', receiver: 'belastingdienst' })).toBe(70);
    expect(lifecycleFromDigipoortStatus({ code: '420', foutcode: 'AFS600', receiver: 'belastingdienst' })).toBe(70);
    expect(lifecycleFromDigipoortStatus({ code: '420', receiver: 'belastingdienst' })).toBe(60);
  });
});

describe('transitions', () => {
  it('follows the forward lifecycle', () => {
    const path: LifecycleCode[] = [0, 10, 20, 30, 50, 60, 80];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i])).toBe(true);
    expect(canTransition(30, 40)).toBe(true);
    expect(canTransition(60, 90)).toBe(true);
    expect(canTransition(60, 70)).toBe(true);
    expect(canTransition(50, 70)).toBe(true);
  });

  it('allows approval-not-required: 0 → 50 directly', () => {
    expect(canTransition(0, 50)).toBe(true);
  });

  it('allows 70 → 50 (ready to send again) only by an explicit reset (H10)', () => {
    expect(canTransition(70, 50)).toBe(false);
    expect(canTransition(70, 50, 'reset')).toBe(true);
    expect(canTransition(70, 60, 'reset')).toBe(false);
    expect(canTransition(0, 10, 'reset')).toBe(false); // a reset allows nothing else
  });

  it('refuses going back or skipping', () => {
    expect(canTransition(80, 60)).toBe(false);
    expect(canTransition(60, 10)).toBe(false);
    expect(canTransition(10, 50)).toBe(false);
    expect(canTransition(30, 60)).toBe(false); // not without approval
    expect(canTransition(90, 60, 'reset')).toBe(false); // a rejected filing is never resent
    expect(canTransition(60, 60)).toBe(false);
  });

  it('has no transition out of a final code, and a way out of every other code', () => {
    for (const t of LIFECYCLE_TRANSITIONS) {
      expect(isLifecycleCode(t.from)).toBe(true);
      expect(isLifecycleCode(t.to)).toBe(true);
      expect(isFinalLifecycle(t.from)).toBe(false);
    }
    for (const code of LIFECYCLE_CODES.filter((c) => !isFinalLifecycle(c))) {
      expect(LIFECYCLE_TRANSITIONS.some((t) => t.from === code)).toBe(true);
    }
    const keys = LIFECYCLE_TRANSITIONS.map((t) => `${t.from}>${t.to}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('assertTransition names the rule', () => {
    expect(() => assertTransition(0, 10)).not.toThrow();
    const backwards = refusal(() => assertTransition(80, 60, 'normal', 'kvk'));
    expect(backwards.rule).toBe('K4');
    expect(backwards.kind).toBe('conflict');
    expect(backwards.message).toBe('K4: a filing cannot go from 80 (Deposited at KvK) to 60 (Approved by the client and sent to KvK)');
    const resend = refusal(() => assertTransition(70, 60));
    expect(resend.rule).toBe('H10');
    expect(resend.message).toMatch(/only a status reset can/);
    expect(refusal(() => assertTransition(90, 60, 'reset')).rule).toBe('H10');
  });
});
