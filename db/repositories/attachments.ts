import type { Pool, PoolClient } from '../pool';

/** H14: the outgoing attachments of a filing, stored with its message (in the transaction that stores it). */
export async function keepOutgoingAttachments(
  db: PoolClient,
  messageId: string,
  attachments: readonly { filename: string; mimeType: string; base64: string }[],
): Promise<void> {
  for (const a of attachments) {
    await db.query(
      `INSERT INTO message_attachments (message_id, direction, filename, mime_type, content) VALUES ($1, 'outgoing', $2, $3, $4)`,
      [messageId, a.filename, a.mimeType, Buffer.from(a.base64, 'base64')],
    );
  }
}

/** What goes with the filing as berichtBijlagen, in the order the administration sent them. */
export async function outgoingAttachments(db: Pool | PoolClient, messageId: string): Promise<{ id: string; filename: string; mimeType: string; content: Buffer }[]> {
  const { rows } = await db.query<{ id: string; filename: string; mime_type: string; content: Buffer }>(
    `SELECT id, filename, mime_type, content FROM message_attachments WHERE message_id = $1 AND direction = 'outgoing' ORDER BY created_at, id`,
    [messageId],
  );
  return rows.map((r) => ({ id: r.id, filename: r.filename, mimeType: r.mime_type, content: r.content }));
}

/** The attempt that carried them was accepted by Digipoort. */
export async function markAttachmentsSent(db: PoolClient, ids: readonly string[]): Promise<void> {
  if (ids.length) await db.query('UPDATE message_attachments SET sent_at = now() WHERE id = ANY($1)', [ids]);
}
