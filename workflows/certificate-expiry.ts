import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { CertificateActivities, ExpiryCheck } from '../activities/certificates';
import { nameAndKvk } from '../domain/certificates';
import { CertificateExpiresAtAttribute, CertificateWarningsAttribute, HubAttribute } from './search-attributes';

/**
 * C7: the hub's certificate expiry watch, run daily by the Schedule `certificate-expiry-<participant>`: warns 60, 30
 * and 7 days before a certificate in use expires (once per threshold), and proposes RB4 or RB5 (also run on demand:
 * `POST .../certificates/expiry-watch`). Its search attributes show the warnings on record (`<certificateId>:<days>d`)
 * and the earliest expiry; its details name the certificates by name and KvK number.
 */
export interface CertificateExpiryInput {
  hubId: string;
  participant: string;
  /** Look as if it were this moment (operators' "what if"; tests). Default: now. */
  asOf?: string;
}

const activities = proxyActivities<CertificateActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
});

export const certificateExpiryScheduleId = (participant: string): string => `certificate-expiry-${participant}`;

export async function certificateExpiryWatch(input: CertificateExpiryInput): Promise<ExpiryCheck> {
  const result = await activities.checkCertificateExpiry({ hubId: input.hubId, asOf: input.asOf });
  upsertSearchAttributes([
    { key: HubAttribute, value: input.participant },
    { key: CertificateWarningsAttribute, value: result.warnings.map((w) => `${w.certificateId}:${w.thresholdDays}d`) },
    ...(result.earliestExpiry ? [{ key: CertificateExpiresAtAttribute, value: new Date(result.earliestExpiry) }] : []),
  ]);
  const fresh = result.warnings.filter((w) => w.fresh);
  // Runs recorded before the proposals existed carry none: they show the id.
  const current = (id: string) => result.proposals?.find((p) => p.certificateId === id);
  const named = (id: string) => {
    const found = current(id);
    return found ? nameAndKvk(found) : id;
  };
  const proposed = (id: string) => {
    const replacement = current(id)?.replacement;
    return replacement ? ` with ${nameAndKvk(replacement)}` : '';
  };
  setCurrentDetails(
    [
      `**Certificate expiry, hub ${input.participant}** — ${result.checked} certificate(s) in use`,
      '',
      `- Earliest expiry: ${result.earliestExpiry ?? '–'}`,
      `- New warnings: ${fresh.length ? fresh.map((w) => `${named(w.certificateId)} (${w.thresholdDays === 0 ? 'expired' : `${w.daysLeft} days`}${w.proposal ? `, ${w.proposal}${proposed(w.certificateId)}` : ''})`).join(', ') : 'none'}`,
    ].join('\n'),
  );
  return result;
}
