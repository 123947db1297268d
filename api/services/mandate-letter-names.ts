import { letterNameOf, nameAndKvk } from '../../domain/certificates';
import { RuleViolation } from '../../domain/errors';
import { inTransaction, type Pool } from '../../db/pool';
import { lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { HttpError } from '../plugins/errors';

/**
 * C3: mandates whose letter, as the register printed it, names another firm than the accountant confirmed. They wait
 * for a person; the certificate's letter name (what later dry runs and runbook plans promise) is corrected only when
 * the accountant confirms the register's name.
 */
export interface LetterNameProblem {
  mandateId: string;
  organisationId: string;
  clientName: string;
  service: string;
  year: number;
  state: string;
  certificateId: string;
  certificateLabel: string;
  kvkNumber: string | null;
  confirmedLetterName: string | null;
  registerLetterName: string;
  /** What the certificate promises now (its letter name, else its O). */
  certificateLetterName: string;
  reason: string;
}

interface Row {
  id: string;
  organisation_id: string;
  client_name: string;
  service: string;
  year: number;
  state: string;
  certificate_id: string;
  label: string;
  kvk_number: string | null;
  organisation_name: string | null;
  certificate_letter_name: string | null;
  letter_name: string | null;
  register_letter_name: string;
  letter_name_problem: string;
  deleted_at: Date | null;
}

const SELECT = `SELECT m.id, m.organisation_id, o.name AS client_name, m.service, m.year, m.state, m.certificate_id, c.label, c.kvk_number,
                       c.organisation_name, c.letter_name AS certificate_letter_name, c.deleted_at, m.letter_name, m.register_letter_name, m.letter_name_problem
                  FROM mandates m JOIN organisations o ON o.id = m.organisation_id JOIN certificates c ON c.id = m.certificate_id`;

const view = (r: Row): LetterNameProblem => ({
  mandateId: r.id,
  organisationId: r.organisation_id,
  clientName: r.client_name,
  service: r.service,
  year: r.year,
  state: r.state,
  certificateId: r.certificate_id,
  certificateLabel: r.label,
  kvkNumber: r.kvk_number,
  confirmedLetterName: r.letter_name,
  registerLetterName: r.register_letter_name,
  certificateLetterName: letterNameOf({ letterName: r.certificate_letter_name, organisationName: r.organisation_name, label: r.label }),
  reason: r.letter_name_problem,
});

export async function letterNameProblems(pool: Pool, hub: Hub): Promise<LetterNameProblem[]> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE m.hub_id = $1 AND m.letter_name_problem IS NOT NULL ORDER BY m.state_changed_at, m.id`, [hub.id]);
  return rows.map(view);
}

/**
 * The accountant confirms the name the register printed: it becomes the certificate's letter name, and every mandate
 * of that certificate waiting on the same name no longer waits (their letter name is the register's now). The name
 * must be exactly the register's (409 C3 otherwise); refused (409 RB) while a runbook holds the certificate.
 */
export async function confirmRegisterLetterName(
  pool: Pool,
  hub: Hub,
  mandateId: string,
  confirmed: string,
  by: string,
): Promise<{ certificateId: string; letterName: string; settledMandateIds: string[] }> {
  return inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const { rows } = await db.query<Row>(`${SELECT} WHERE m.id = $1 AND m.hub_id = $2 FOR UPDATE OF m`, [mandateId, hub.id]);
    const m = rows[0];
    if (!m) throw new HttpError(404, `no mandate ${mandateId}`);
    if (!m.letter_name_problem) throw new RuleViolation('C3', 'the letter name of this mandate waits for no confirmation: the register printed the confirmed name', 'conflict');
    if (confirmed.trim() !== m.register_letter_name) {
      throw new RuleViolation('C3', `the register printed "${m.register_letter_name}", not "${confirmed.trim()}": confirm exactly the register's name; nothing changed`, 'conflict');
    }
    if (m.deleted_at) throw new RuleViolation('C3', `certificate ${nameAndKvk({ label: m.label, kvkNumber: m.kvk_number })} is deleted: there is no letter name to correct; nothing changed`, 'conflict');
    await assertNotLockedByRunbook(db, [m.certificate_id]);
    const before = letterNameOf({ letterName: m.certificate_letter_name, organisationName: m.organisation_name, label: m.label });
    await db.query('UPDATE certificates SET letter_name = $2 WHERE id = $1', [m.certificate_id, m.register_letter_name]);
    const { rows: settled } = await db.query<{ id: string }>(
      `UPDATE mandates SET letter_name = register_letter_name, letter_name_problem = NULL
        WHERE certificate_id = $1 AND letter_name_problem IS NOT NULL AND register_letter_name = $2 RETURNING id`,
      [m.certificate_id, m.register_letter_name],
    );
    await writeLog(db, {
      hubId: hub.id,
      environment: hub.environmentCode,
      step: 'certificate',
      level: 'I',
      text: `C3: letter name of certificate ${nameAndKvk({ label: m.label, kvkNumber: m.kvk_number })} corrected from "${before}" to "${m.register_letter_name}", as the register prints it, confirmed by ${by}; ${settled.length} mandate(s) no longer wait`,
    });
    return { certificateId: m.certificate_id, letterName: m.register_letter_name, settledMandateIds: settled.map((r) => r.id).sort() };
  });
}
