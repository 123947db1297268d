import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { ownCertificateForClient } from '../domain/certificates';
import { RuleViolation } from '../domain/errors';
import { isOpen, type MandateState } from '../domain/mandates';
import { assertDeletableByRunbook, planRunbook, type RunbookPlan, type RunbookProgressView, type RunbookStepKey } from '../domain/runbooks';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { refreshExpiryProposals } from '../db/repositories/certificate-expiry';
import { certificateUsers, loadCertificateSituation, lockCertificateSetup, masterDataOf } from '../db/repositories/certificates';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById } from '../db/repositories/hubs';
import { createMandateRequest, markMandatesForRevocation, type MandateTarget } from '../db/repositories/mandates';
import { lockCertificates, releaseCertificateLocks, loadRunbookWorld, runbookById, TERMINAL_PHASES, type RunbookRow } from '../db/repositories/runbooks';
import { deleteCertificate } from '../integrations/pki/certificate-store';
import { CertificateNotUsable, type WusClientPool } from '../integrations/wus/client-pool';

export interface RunbookActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  clock?: () => Date;
}

export const RUNBOOK_FAILURES = {
  /** The runbook cannot run as asked (a rule); it ends without changing anything. */
  refused: 'RunbookRefused',
  /** A step cannot complete; the runbook pauses with this reason (retry or cancel). */
  stepFailed: 'RunbookStepFailed',
  /** Mandates are still on their way (retried as a poll). */
  pending: 'MandatesPending',
} as const;

export interface PlanSummary {
  certificateIds: string[];
  revoke: number;
  request: number;
}

export type { MandateTarget };

const stepFailed = (message: string) => ApplicationFailure.create({ message, type: RUNBOOK_FAILURES.stepFailed, nonRetryable: true });

export function createRunbookActivities(deps: RunbookActivityDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();

  async function load(db: Pool | PoolClient, runbookId: string): Promise<RunbookRow> {
    const row = await runbookById(db, runbookId);
    if (!row) throw ApplicationFailure.nonRetryable(`runbook ${runbookId} does not exist`, RUNBOOK_FAILURES.refused);
    return row;
  }

  async function planOf(db: Pool | PoolClient, runbookId: string): Promise<{ row: RunbookRow; plan: RunbookPlan }> {
    const row = await load(db, runbookId);
    if (!row.plan) throw ApplicationFailure.nonRetryable('the runbook has no plan', RUNBOOK_FAILURES.refused);
    return { row, plan: row.plan };
  }

  async function log(db: Pool | PoolClient, row: RunbookRow, level: 'I' | 'F', text: string) {
    await writeLog(db, { hubId: row.hub_id, step: 'certificate', level, text: `runbook ${row.kind} ${row.id}: ${text}` });
  }

  async function groupId(db: PoolClient, hubId: string, name: string | null): Promise<string | null> {
    if (name === null) return null;
    const { rows } = await db.query<{ id: string }>('SELECT id FROM certificate_groups WHERE hub_id = $1 AND name = $2', [hubId, name]);
    if (!rows[0]) throw stepFailed(`certificate group "${name}" does not exist`);
    return rows[0].id;
  }

  async function setWorkCertificate(db: PoolClient, hubId: string, certificateId: string) {
    await db.query('UPDATE certificates SET is_work_certificate = false WHERE hub_id = $1 AND is_work_certificate AND id <> $2', [hubId, certificateId]);
    await db.query('UPDATE certificates SET is_work_certificate = true WHERE id = $1 AND NOT is_work_certificate', [certificateId]);
  }

  /** Puts a certificate in the named group, creating the group when it does not exist (C1; C2 by trigger). */
  async function putInGroup(db: PoolClient, hubId: string, name: string, certificateId: string) {
    await db.query('UPDATE certificate_groups SET certificate_id = NULL WHERE certificate_id = $1 AND hub_id = $2 AND name <> $3', [certificateId, hubId, name]);
    const { rows } = await db.query<{ certificate_id: string | null }>('SELECT certificate_id FROM certificate_groups WHERE hub_id = $1 AND name = $2 FOR UPDATE', [hubId, name]);
    if (!rows[0]) {
      await db.query('INSERT INTO certificate_groups (hub_id, name, certificate_id) VALUES ($1, $2, $3)', [hubId, name, certificateId]);
    } else if (rows[0].certificate_id !== certificateId) {
      await db.query('UPDATE certificate_groups SET certificate_id = $3 WHERE hub_id = $1 AND name = $2', [hubId, name, certificateId]);
    }
  }

  /** The latest attempt of each mandate's messages, when it did not reach Digipoort: why the runbook's step waits. */
  async function whyMandatesWait(mandateIds: readonly string[]): Promise<string | undefined> {
    const { rows } = await deps.pool.query<{ outcome: string | null; detail: string | null }>(
      `SELECT DISTINCT ON (mm.mandate_id) a.outcome, a.detail
         FROM mandate_messages mm JOIN submission_attempts a ON a.mandate_message_id = mm.id
        WHERE mm.mandate_id = ANY($1) AND mm.delivery_state IN ('ready', 'submitting')
        ORDER BY mm.mandate_id, a.started_at DESC`,
      [mandateIds],
    );
    const unsent = rows.filter((r) => r.outcome === 'not-sent');
    if (!unsent.length) return undefined;
    return `Digipoort unavailable for ${unsent.length} of them (${(unsent[0].detail ?? 'not sent').slice(0, 200)}); retrying`;
  }

  /** Each step sets its target values: running it twice changes nothing the second time. */
  const steps: Record<Exclude<RunbookStepKey, 'revoke-mandates' | 'request-mandates'>, (db: PoolClient, row: RunbookRow, plan: RunbookPlan) => Promise<string>> = {
    async 'switch-on'(db, row) {
      await db.query('UPDATE hubs SET multi_certificate = true WHERE id = $1', [row.hub_id]);
      return 'several certificates switched on';
    },
    async 'install-certificates'(db, row, plan) {
      for (const item of plan.install) {
        // Opening it in the worker proves file and passphrase; C7: an expired certificate is never installed.
        try {
          await deps.wus.clientFor(item.certificateId);
        } catch (err) {
          throw stepFailed(err instanceof CertificateNotUsable ? err.message : `certificate "${item.label}" cannot be opened: ${(err as Error).message}`);
        }
        await db.query('UPDATE certificates SET installed_at = coalesce(installed_at, now()) WHERE id = $1 AND deleted_at IS NULL', [item.certificateId]);
        if ((row.kind === 'RB1' || row.kind === 'RB2') && item.groupName) await putInGroup(db, row.hub_id, item.groupName, item.certificateId);
      }
      return plan.install.map((i) => `"${i.label}"${(row.kind === 'RB1' || row.kind === 'RB2') && i.groupName ? ` in group "${i.groupName}"` : ''}`).join(', ') + ' installed';
    },
    async 'work-certificate'(db, row, plan) {
      if (!plan.workCertificate.after) throw stepFailed('the plan names no work certificate');
      await setWorkCertificate(db, row.hub_id, plan.workCertificate.after);
      return `work certificate ${plan.workCertificate.after}`;
    },
    async 'assign-group'(db, row, plan) {
      const replace = plan.replace!;
      if (replace.groupName === null) {
        const { rows } = await db.query<{ is_work_certificate: boolean }>('SELECT is_work_certificate FROM certificates WHERE id = $1', [replace.oldCertificateId]);
        if (rows[0]?.is_work_certificate || plan.workCertificate.after === replace.newCertificateId) await setWorkCertificate(db, row.hub_id, replace.newCertificateId);
      } else {
        await putInGroup(db, row.hub_id, replace.groupName, replace.newCertificateId);
      }
      if (row.kind === 'RB4') {
        // Same KvK number: the register knows the firm by it, so open mandates simply continue under the new one, and
        // so do their messages that are still to be sent, in doubt or followed: nothing keeps using the old one.
        const { rowCount } = await db.query(
          `UPDATE mandates SET certificate_id = $2 WHERE certificate_id = $1 AND state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE')`,
          [replace.oldCertificateId, replace.newCertificateId],
        );
        await db.query(
          `UPDATE mandate_messages SET certificate_id = $2
            WHERE certificate_id = $1 AND delivery_state IN ('ready', 'submitting', 'submitted', 'needs_human')
              AND mandate_id IN (SELECT id FROM mandates WHERE certificate_id = $2 AND state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE'))`,
          [replace.oldCertificateId, replace.newCertificateId],
        );
        return `${replace.groupName === null ? 'new work certificate' : `group "${replace.groupName}"`} set; ${rowCount ?? 0} open mandate(s) continue under the new certificate`;
      }
      return replace.groupName === null ? 'the new certificate is the work certificate' : `the new certificate is in group "${replace.groupName}"`;
    },
    async 'becon-groups'(db, row, plan) {
      for (const b of plan.becons) {
        await db.query('UPDATE becons SET group_id = $3 WHERE hub_id = $1 AND number = $2', [row.hub_id, b.number, await groupId(db, row.hub_id, b.groupAfter)]);
      }
      return plan.becons.length ? `${plan.becons.length} Becon(s) set` : 'no Becon changes';
    },
    async 'client-becons'(db, row, plan) {
      for (const c of plan.clientBecons) {
        await db.query(
          `INSERT INTO client_master_data (organisation_id, year, becon_id)
           VALUES ($1, $2, (SELECT id FROM becons WHERE hub_id = $3 AND number = $4))
           ON CONFLICT (organisation_id, year) DO UPDATE SET becon_id = EXCLUDED.becon_id, updated_at = now()`,
          [c.organisationId, c.year, row.hub_id, c.beconNumber],
        );
      }
      // C4: the latest year decides; every affected client must now resolve to the certificate the plan expects.
      const situation = await loadCertificateSituation(db, row.hub_id);
      const wrong: string[] = [];
      for (const client of plan.clients) {
        const chosen = ownCertificateForClient(situation, await masterDataOf(db, client.organisationId)).certificateId;
        if (chosen !== client.certificateAfter) wrong.push(`${client.name} (its latest year's Becon leads to another certificate)`);
      }
      if (wrong.length) throw stepFailed(`C4: set the right Becon in the latest year of: ${wrong.join(', ')}`);
      return `${plan.clientBecons.length} master-data year(s) set; ${plan.clients.length} affected client(s) checked`;
    },
    async 'delete-certificate'(db, row, plan) {
      const id = plan.deleteCertificateId!;
      const { rows } = await db.query<{ label: string }>('SELECT label FROM certificates WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [id]);
      if (!rows[0]) return `certificate ${id} deleted`;
      // Right before deleting: whatever started to use it since the plan (beyond what this runbook moves) stops the step.
      try {
        assertDeletableByRunbook(rows[0].label, id, await certificateUsers(db, id), plan, row.id);
      } catch (err) {
        if (err instanceof RuleViolation) throw stepFailed(err.message);
        throw err;
      }
      await db.query('UPDATE certificate_groups SET certificate_id = NULL WHERE certificate_id = $1', [id]);
      // Its key material is destroyed with it (the metadata row stays for history).
      await deleteCertificate(db, id);
      deps.wus.evict(id);
      return `certificate ${id} deleted`;
    },
  };

  return {
    /**
     * Computes the plan against the world as it is now and takes the certificates' locks; a runbook that cannot run
     * as asked ends here (refused, naming the rule) with nothing changed.
     */
    async planRunbook({ runbookId }: { runbookId: string }): Promise<PlanSummary> {
      return inTransaction(deps.pool, async (db) => {
        const row = await load(db, runbookId);
        if (row.plan) return { certificateIds: row.plan.certificateIds, revoke: row.plan.mandatesToRevoke.length, request: row.plan.mandatesToRequest.length };
        // Serialised with the staff API's writes to the set-up: the plan sees them all, and they see the locks.
        await lockCertificateSetup(db, row.hub_id);
        let plan: RunbookPlan;
        try {
          plan = planRunbook(await loadRunbookWorld(db, row.hub_id, now()), row.input);
        } catch (err) {
          if (err instanceof RuleViolation) throw ApplicationFailure.create({ message: err.message, type: RUNBOOK_FAILURES.refused, nonRetryable: true });
          throw err;
        }
        const held = await lockCertificates(db, runbookId, plan.certificateIds);
        if (held) {
          throw ApplicationFailure.create({ message: `${row.kind}: certificate ${held.certificateId} is in runbook ${held.runbookId}; one runbook per certificate at a time`, type: RUNBOOK_FAILURES.refused, nonRetryable: true });
        }
        await db.query('UPDATE runbooks SET plan = $2, certificate_ids = $3, updated_at = now() WHERE id = $1', [runbookId, JSON.stringify(plan), plan.certificateIds]);
        await log(db, row, 'I', `plan ready: ${plan.mandatesToRevoke.length} mandate(s) to revoke, ${plan.mandatesToRequest.length} to request, ${plan.letterNames.length} letter name(s) change; waiting for confirmation`);
        return { certificateIds: plan.certificateIds, revoke: plan.mandatesToRevoke.length, request: plan.mandatesToRequest.length };
      });
    },

    /** The read model: phase, steps and progress as the workflow has them; locks released when it ends. */
    async recordRunbook({ view, confirmedBy }: { view: RunbookProgressView; confirmedBy?: string }): Promise<void> {
      await inTransaction(deps.pool, async (db) => {
        const row = await load(db, view.runbookId);
        if (TERMINAL_PHASES.includes(row.phase)) return;
        const terminal = TERMINAL_PHASES.includes(view.phase);
        await db.query(
          `UPDATE runbooks SET phase = $2, steps = $3, current_step = $4, progress = $5, reason = $6, updated_at = now(),
                  confirmed_by = coalesce(confirmed_by, $7), confirmed_at = CASE WHEN $7::text IS NOT NULL AND confirmed_at IS NULL THEN now() ELSE confirmed_at END,
                  finished_at = CASE WHEN $8 THEN now() ELSE finished_at END
            WHERE id = $1`,
          [view.runbookId, view.phase, JSON.stringify(view.steps), view.currentStep, view.progress, view.reason, confirmedBy ?? null, terminal],
        );
        if (row.phase !== view.phase) await log(db, row, view.phase === 'paused' || view.phase === 'failed' ? 'F' : 'I', `${row.phase} → ${view.phase}${view.reason ? `: ${view.reason}` : ''}`);
        if (terminal) await releaseCertificateLocks(db, view.runbookId);
      });
    },

    /** A configuration step of the plan, in one transaction. */
    async runRunbookStep({ runbookId, step }: { runbookId: string; step: RunbookStepKey }): Promise<string> {
      if (step === 'revoke-mandates' || step === 'request-mandates') throw stepFailed(`${step} is run by the workflow`);
      return inTransaction(deps.pool, async (db) => {
        const { row, plan } = await planOf(db, runbookId);
        await lockCertificateSetup(db, row.hub_id);
        let detail: string;
        try {
          detail = await steps[step](db, row, plan);
        } catch (err) {
          // A rule the database enforces (C2 trigger, unique work certificate) pauses the runbook with its text.
          const pg = err as { code?: string; message?: string };
          if (pg.code === '23514' || pg.code === '23505') throw stepFailed(pg.message ?? 'refused by the database');
          throw err;
        }
        await log(db, row, 'I', `step ${step}: ${detail}`);
        // C7: a certificate replaced or removed has nothing left to propose, and a proposed one may be gone.
        if (step === 'assign-group' || step === 'delete-certificate') {
          const hub = await findHubById(db, row.hub_id);
          if (hub) await refreshExpiryProposals(db, hub, now());
        }
        return detail;
      });
    },

    /** Marks the plan's mandates for revocation (once); returns those still open, whose workflows must act. */
    async markRevocations({ runbookId }: { runbookId: string }): Promise<MandateTarget[]> {
      return inTransaction(deps.pool, async (db) => {
        const { plan } = await planOf(db, runbookId);
        return markMandatesForRevocation(db, plan.mandatesToRevoke.map((m) => m.mandateId), `runbook ${runbookId}`);
      });
    },

    /**
     * The plan's new requests as mandate records, once each (a rejected one is requested anew on a retry). The
     * certificate is chosen now, after the configuration steps, by the same rule the plan used (C4).
     */
    async prepareMandateRequests({ runbookId, participant }: { runbookId: string; participant: string }): Promise<MandateTarget[]> {
      const { row, plan } = await planOf(deps.pool, runbookId);
      const targets: MandateTarget[] = [];
      for (const item of plan.mandatesToRequest) {
        const target = await inTransaction(deps.pool, async (db) => {
          const { rows: existing } = await db.query<{ id: string; workflow_id: string; state: MandateState }>(
            `SELECT id, workflow_id, state FROM mandates WHERE replaces_mandate_id = $1 AND state <> 'REJECTED'`,
            [item.replacesMandateId],
          );
          if (existing[0]) return { mandateId: existing[0].id, workflowId: existing[0].workflow_id };
          try {
            const created = await createMandateRequest(db, {
              hubId: row.hub_id,
              participant,
              organisationId: item.organisationId,
              service: item.service,
              year: item.year,
              continuing: item.continuing,
              requestedBy: `runbook ${row.kind} ${row.id}`,
              runbookId,
              replacesMandateId: item.replacesMandateId,
              now: now(),
            });
            if (created.certificate_id !== item.certificateId) {
              await log(db, row, 'F', `mandate of client ${item.organisationId}: planned certificate ${item.certificateId}, chosen ${created.certificate_id} (master data changed since the plan)`);
            }
            return { mandateId: created.id, workflowId: created.workflow_id };
          } catch (err) {
            if (err instanceof RuleViolation) throw stepFailed(`client ${item.organisationId}, ${item.service} ${item.year}: ${err.message}`);
            throw err;
          }
        });
        targets.push(target);
        heartbeat();
      }
      return targets;
    },

    /**
     * Polled until every mandate reached its goal: `closed` (revoked, or otherwise no longer open) or `requested`
     * (the register received the request: ONTVANGEN or ACTIVE). Failures (a revocation or request the register
     * refused) are returned for the runbook to pause on.
     */
    async awaitMandates({ mandateIds, goal }: { mandateIds: string[]; goal: 'closed' | 'requested' }): Promise<{ failed: { mandateId: string; reason: string }[] }> {
      const { rows } = await deps.pool.query<{ id: string; state: MandateState; reason: string | null; revoke_failed_reason: string | null; revoke_requested_at: Date | null }>(
        'SELECT id, state, reason, revoke_failed_reason, revoke_requested_at FROM mandates WHERE id = ANY($1)',
        [mandateIds],
      );
      const failed: { mandateId: string; reason: string }[] = [];
      let pending = 0;
      for (const m of rows) {
        if (goal === 'closed') {
          if (!isOpen(m.state)) continue;
          if (m.revoke_failed_reason && !m.revoke_requested_at) failed.push({ mandateId: m.id, reason: m.revoke_failed_reason });
          else pending++;
        } else if (m.state === 'REJECTED' || m.state === 'REVOKED') {
          failed.push({ mandateId: m.id, reason: m.reason ?? m.state });
        } else if (m.state === 'REQUESTED') {
          pending++;
        }
      }
      // "Not yet" is the expected answer of a poll: benign, so the worker does not log it as a failure. Why they wait,
      // when their last attempt did not reach Digipoort, is in the message (the console shows it with the step).
      if (pending > 0) {
        const why = await whyMandatesWait(mandateIds);
        throw ApplicationFailure.create({ message: `${pending} mandate(s) still on their way${why ? `: ${why}` : ''}`, type: RUNBOOK_FAILURES.pending, category: ApplicationFailureCategory.BENIGN });
      }
      return { failed };
    },
  };
}

export type RunbookActivities = ReturnType<typeof createRunbookActivities>;
