import { inTransaction, type Pool } from '../db/pool';
import type { Registration } from './config';
import { MandateRegister } from './mandates';
import type { PlannedStatus } from './plans';

/** The simulator's own PostgreSQL state: processes, cursors, registrations, refusals. Survives restarts. */
export interface ProcessRecord {
  kenmerk: string;
  berichtsoort: string;
  aanleverkenmerk: string | null;
  eerderAanleverkenmerk: string | null;
  belanghebbende: { nummer: string; type: string };
  rolBelanghebbende: string;
  ontvanger: { nummer: string; type: string };
  autorisatieAdres: string | null;
  deliveredAt: Date;
  senderIdentity: string;
  senderFingerprint: string;
  senderOrganisation: string | null;
  signatureAlgorithm: string;
  digestAlgorithm: string;
  requestMessageId: string;
  bestandsnaam: string;
  mimeType: string;
  contentSha256: string;
  contentBytes: number;
  attachmentCount: number;
  plan: PlannedStatus[];
}

interface ProcessRow {
  kenmerk: string;
  berichtsoort: string;
  aanleverkenmerk: string | null;
  eerder_aanleverkenmerk: string | null;
  belanghebbende_nummer: string;
  belanghebbende_type: string;
  rol_belanghebbende: string;
  ontvanger_nummer: string;
  ontvanger_type: string;
  autorisatie_adres: string | null;
  delivered_at: Date;
  sender_identity: string;
  sender_fingerprint: string;
  sender_organisation: string | null;
  signature_algorithm: string;
  digest_algorithm: string;
  request_message_id: string;
  bestandsnaam: string;
  mime_type: string;
  content_sha256: string;
  content_bytes: number;
  attachment_count: number;
  plan: PlannedStatus[];
}

function fromRow(r: ProcessRow): ProcessRecord {
  return {
    kenmerk: r.kenmerk,
    berichtsoort: r.berichtsoort,
    aanleverkenmerk: r.aanleverkenmerk,
    eerderAanleverkenmerk: r.eerder_aanleverkenmerk,
    belanghebbende: { nummer: r.belanghebbende_nummer, type: r.belanghebbende_type },
    rolBelanghebbende: r.rol_belanghebbende,
    ontvanger: { nummer: r.ontvanger_nummer, type: r.ontvanger_type },
    autorisatieAdres: r.autorisatie_adres,
    deliveredAt: r.delivered_at,
    senderIdentity: r.sender_identity,
    senderFingerprint: r.sender_fingerprint,
    senderOrganisation: r.sender_organisation,
    signatureAlgorithm: r.signature_algorithm,
    digestAlgorithm: r.digest_algorithm,
    requestMessageId: r.request_message_id,
    bestandsnaam: r.bestandsnaam,
    mimeType: r.mime_type,
    contentSha256: r.content_sha256,
    contentBytes: r.content_bytes,
    attachmentCount: r.attachment_count,
    plan: r.plan,
  };
}

export class SimulatorStore {
  /** The simulated Machtigingenregister (mandates). */
  readonly mandates: MandateRegister;

  constructor(private readonly pool: Pool) {
    this.mandates = new MandateRegister(pool);
  }

  async insertProcess(p: ProcessRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO sim_processes (kenmerk, berichtsoort, aanleverkenmerk, eerder_aanleverkenmerk, belanghebbende_nummer,
         belanghebbende_type, rol_belanghebbende, ontvanger_nummer, ontvanger_type, autorisatie_adres, delivered_at,
         sender_identity, sender_fingerprint, sender_organisation, signature_algorithm, digest_algorithm,
         request_message_id, bestandsnaam, mime_type, content_sha256, content_bytes, attachment_count, plan)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)`,
      [
        p.kenmerk, p.berichtsoort, p.aanleverkenmerk, p.eerderAanleverkenmerk, p.belanghebbende.nummer,
        p.belanghebbende.type, p.rolBelanghebbende, p.ontvanger.nummer, p.ontvanger.type, p.autorisatieAdres,
        p.deliveredAt, p.senderIdentity, p.senderFingerprint, p.senderOrganisation, p.signatureAlgorithm,
        p.digestAlgorithm, p.requestMessageId, p.bestandsnaam, p.mimeType, p.contentSha256, p.contentBytes,
        p.attachmentCount, JSON.stringify(p.plan),
      ],
    );
  }

  /**
   * Claims the deposit of a company's financial year for a process; false when another process already holds it.
   * One statement, so two deposits racing for the same year cannot both win.
   */
  async claimKvkDeposit(kvkNummer: string, financialYear: number, kenmerk: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO sim_kvk_deposits (kvk_nummer, financial_year, kenmerk) VALUES ($1, $2, $3)
       ON CONFLICT (kvk_nummer, financial_year) DO NOTHING`,
      [kvkNummer, financialYear, kenmerk],
    );
    return rowCount === 1;
  }

  async releaseKvkDeposit(kvkNummer: string, financialYear: number, kenmerk: string): Promise<void> {
    await this.pool.query('DELETE FROM sim_kvk_deposits WHERE kvk_nummer = $1 AND financial_year = $2 AND kenmerk = $3', [kvkNummer, financialYear, kenmerk]);
  }

  /** Replaces the status plan of the processes delivered with this aanleverkenmerk (admin); answers how many. */
  async replacePlan(aanleverkenmerk: string, plan: PlannedStatus[]): Promise<number> {
    const { rowCount } = await this.pool.query('UPDATE sim_processes SET plan = $2 WHERE aanleverkenmerk = $1', [aanleverkenmerk, JSON.stringify(plan)]);
    return rowCount ?? 0;
  }

  async process(kenmerk: string): Promise<ProcessRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(kenmerk)) return undefined;
    const { rows } = await this.pool.query<ProcessRow>('SELECT * FROM sim_processes WHERE kenmerk = $1', [kenmerk]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async processesFor(berichtsoort: string, belanghebbende: string): Promise<ProcessRecord[]> {
    const { rows } = await this.pool.query<ProcessRow>(
      'SELECT * FROM sim_processes WHERE berichtsoort = $1 AND belanghebbende_nummer = $2 ORDER BY delivered_at',
      [berichtsoort, belanghebbende],
    );
    return rows.map(fromRow);
  }

  async listProcesses(filter: { aanleverkenmerk?: string; senderIdentity?: string; limit: number }): Promise<ProcessRecord[]> {
    const { rows } = await this.pool.query<ProcessRow>(
      `SELECT * FROM sim_processes
        WHERE ($1::text IS NULL OR aanleverkenmerk = $1) AND ($2::text IS NULL OR sender_identity = $2)
        ORDER BY delivered_at DESC LIMIT $3`,
      [filter.aanleverkenmerk ?? null, filter.senderIdentity ?? null, filter.limit],
    );
    return rows.map(fromRow);
  }

  /** Accepted aanleveren per aanleverkenmerk and per certificate: the "exactly once" evidence. */
  async deliveryCounts(): Promise<{
    total: number;
    byAanleverkenmerk: Record<string, number>;
    byCertificate: Record<string, { senderIdentity: string; organisation: string | null; count: number }>;
  }> {
    const byKenmerk = await this.pool.query<{ aanleverkenmerk: string | null; n: number }>(
      'SELECT aanleverkenmerk, count(*)::int AS n FROM sim_processes GROUP BY aanleverkenmerk',
    );
    const byCert = await this.pool.query<{ sender_fingerprint: string; sender_identity: string; sender_organisation: string | null; n: number }>(
      `SELECT sender_fingerprint, sender_identity, max(sender_organisation) AS sender_organisation, count(*)::int AS n
         FROM sim_processes GROUP BY sender_fingerprint, sender_identity`,
    );
    return {
      total: byKenmerk.rows.reduce((sum, r) => sum + r.n, 0),
      byAanleverkenmerk: Object.fromEntries(byKenmerk.rows.map((r) => [r.aanleverkenmerk ?? '', r.n])),
      byCertificate: Object.fromEntries(
        byCert.rows.map((r) => [r.sender_fingerprint, { senderIdentity: r.sender_identity, organisation: r.sender_organisation, count: r.n }]),
      ),
    };
  }

  /** How many statuses of the process this caller already fetched with getNieuwe*, then moves the cursor. */
  async advanceCursor(caller: string, kenmerk: string, visible: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        'INSERT INTO sim_cursors (caller_fingerprint, kenmerk, delivered) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING',
        [caller, kenmerk],
      );
      const { rows } = await client.query<{ delivered: number }>(
        'SELECT delivered FROM sim_cursors WHERE caller_fingerprint = $1 AND kenmerk = $2 FOR UPDATE',
        [caller, kenmerk],
      );
      const previous = rows[0].delivered;
      if (visible > previous) {
        await client.query('UPDATE sim_cursors SET delivered = $3 WHERE caller_fingerprint = $1 AND kenmerk = $2', [caller, kenmerk, visible]);
      }
      return Math.min(previous, visible);
    });
  }

  async registrations(): Promise<Registration[]> {
    const { rows } = await this.pool.query<{ sender_identity: string; berichtsoort: string; belanghebbende: string; note: string | null }>(
      'SELECT sender_identity, berichtsoort, belanghebbende, note FROM sim_registrations ORDER BY id',
    );
    return rows.map((r) => ({ senderIdentity: r.sender_identity, berichtsoort: r.berichtsoort, belanghebbende: r.belanghebbende, note: r.note ?? undefined }));
  }

  async addRegistration(r: Registration): Promise<void> {
    await this.pool.query(
      `INSERT INTO sim_registrations (sender_identity, berichtsoort, belanghebbende, note) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sender_identity, berichtsoort, belanghebbende) DO UPDATE SET note = EXCLUDED.note`,
      [r.senderIdentity, r.berichtsoort, r.belanghebbende, r.note ?? null],
    );
  }

  async removeRegistration(r: Registration): Promise<number> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM sim_registrations WHERE sender_identity = $1 AND berichtsoort = $2 AND belanghebbende = $3',
      [r.senderIdentity, r.berichtsoort, r.belanghebbende],
    );
    return rowCount ?? 0;
  }

  async isRegistered(senderIdentity: string, berichtsoort: string, belanghebbende: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM sim_registrations WHERE sender_identity = $1
          AND (berichtsoort = $2 OR berichtsoort = '*') AND (belanghebbende = $3 OR belanghebbende = '*') LIMIT 1`,
      [senderIdentity, berichtsoort, belanghebbende],
    );
    return (rowCount ?? 0) > 0;
  }

  async registeredBerichtsoorten(senderIdentity: string, belanghebbende: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ berichtsoort: string }>(
      `SELECT DISTINCT berichtsoort FROM sim_registrations
        WHERE sender_identity = $1 AND (belanghebbende = $2 OR belanghebbende = '*')`,
      [senderIdentity, belanghebbende],
    );
    return rows.map((r) => r.berichtsoort);
  }

  async recordRejection(operation: string | undefined, reason: string, senderFingerprint: string | undefined): Promise<void> {
    await this.pool.query('INSERT INTO sim_rejections (operation, reason, sender_fingerprint) VALUES ($1, $2, $3)', [
      operation ?? null,
      reason.slice(0, 2000),
      senderFingerprint ?? null,
    ]);
  }

  async rejections(limit: number): Promise<{ at: Date; operation: string | null; reason: string; senderFingerprint: string | null }[]> {
    const { rows } = await this.pool.query<{ at: Date; operation: string | null; reason: string; sender_fingerprint: string | null }>(
      'SELECT at, operation, reason, sender_fingerprint FROM sim_rejections ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ at: r.at, operation: r.operation, reason: r.reason, senderFingerprint: r.sender_fingerprint }));
  }
}
