import { assertNoKvkMove, clientsChangingKvk, workCertificateOf, type CertificateSetup, type CertificateSituation, type MasterDataYear } from '../../domain/certificates';
import type { PoolClient } from '../../db/pool';
import { loadCertificateSetup, openMandatesUnderKvk } from '../../db/repositories/certificate-guards';

/**
 * Guards instead of silent drift. The staff API may change Becons, groups, the work certificate, several certificates
 * on or off and clients' master data, but never so that a client with an open mandate ends up with a certificate of
 * another KvK number than the register knows the mandate under (RB1: revoke and request again, which the runbooks do;
 * they change the set-up in their own steps, not through these paths).
 */

/** A copy of the set-up that a write path changes the way it is about to change the database. */
export interface SetupDraft extends CertificateSetup {
  masterData: Map<string, MasterDataYear[]>;
}

function draftOf(setup: CertificateSetup): SetupDraft {
  return {
    multiCertificate: setup.multiCertificate,
    certificateMode: setup.certificateMode,
    certificates: setup.certificates.map((c) => ({ ...c })),
    groups: setup.groups.map((g) => ({ ...g })),
    becons: setup.becons.map((b) => ({ ...b })),
    masterData: new Map([...setup.masterData].map(([id, years]) => [id, years.map((y) => ({ ...y }))])),
  };
}

/**
 * RB1: throws a RuleViolation naming the clients and KvK numbers when `change` would move a client with an open
 * mandate to a certificate of another KvK number. Call it inside the write's transaction, after the set-up lock and
 * before writing, so that nothing is stored when it refuses.
 */
export async function assertChangeKeepsKvk(db: PoolClient, hubId: string, change: (draft: SetupDraft) => void): Promise<void> {
  const open = await openMandatesUnderKvk(db, hubId);
  if (open.length === 0) return;
  const before = await loadCertificateSetup(db, hubId);
  const after = draftOf(before);
  change(after);
  assertNoKvkMove(clientsChangingKvk(before, after, open));
}

/** The certificates a hub-wide switch touches: the work certificate and every certificate in a group. */
export function certificatesInUse(situation: CertificateSituation): string[] {
  const work = workCertificateOf(situation)?.id;
  return [...(work ? [work] : []), ...situation.groups.flatMap((g) => (g.certificateId ? [g.certificateId] : []))];
}
