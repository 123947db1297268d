/**
 * H14: the attachments an administration sends with a filing (outgoing), kept with the message and downloadable like
 * the content; they go to the authority as `berichtBijlagen` of aanleveren where the receiving process takes them.
 * Pure.
 */
import { RuleViolation } from './errors';
import type { FilingKindDefinition } from './kinds/types';

export interface OutgoingAttachment {
  /** The file name as sent (`bestandsnaam`, ≤ 80 characters, digipoort-wus.md §2.1). */
  filename: string;
  mimeType: string;
  /** Base64 of the octets. */
  content: string;
}

/** At most this many attachments, each and together at most these sizes (decoded) [ours]. */
export const OUTGOING_ATTACHMENT_LIMITS = { count: 10, bytesEach: 5 * 1024 * 1024, bytesTotal: 10 * 1024 * 1024 } as const;

/**
 * Whether the receiving process takes attachments with the message. The koppelvlak allows `berichtBijlagen` on every
 * aanleveren, but whether they are accepted "hangt af van het verwerkingsproces" (digipoort-wus.md §2.1) [I]: the
 * Belastingdienst's OB, ICP and suppletie messages carry everything in the XBRL instance, so their attachments stay
 * with the message in the hub (H14: downloadable) and are not sent; a KvK deposit takes them (the documents that go
 * with the annual report) [I: not confirmed against a KvK specification].
 */
export function attachmentsGoWith(spec: Pick<FilingKindDefinition, 'sendsAttachments'>): boolean {
  return spec.sendsAttachments;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
// A name, not a path: no separators, no control characters, not "." or "..".
const FILENAME = /^(?!\.{1,2}$)[^/\\"\p{Cc}]{1,80}$/u;

/** Decoded size of valid base64 text. */
function decodedBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * Checks the attachments of a filing (names, media types, base64, sizes) before anything is stored; answers them with
 * their base64 without whitespace and decoded size. Refusals name H14 and the field.
 */
export function checkOutgoingAttachments(
  attachments: readonly OutgoingAttachment[] | undefined,
): { filename: string; mimeType: string; base64: string; bytes: number }[] {
  if (attachments === undefined) return [];
  const refuse = (field: string, message: string): never => {
    throw new RuleViolation('H14', message, 'invalid', field);
  };
  if (!Array.isArray(attachments)) refuse('attachments', 'attachments must be a list');
  if (attachments.length > OUTGOING_ATTACHMENT_LIMITS.count) {
    refuse('attachments', `at most ${OUTGOING_ATTACHMENT_LIMITS.count} attachments go with one filing (got ${attachments.length})`);
  }
  let total = 0;
  return attachments.map((a, i) => {
    const field = `attachments[${i}]`;
    if (typeof a?.filename !== 'string' || !FILENAME.test(a.filename)) {
      refuse(`${field}.filename`, `${field}.filename must be a file name of 1 to 80 characters without a path`);
    }
    if (typeof a.mimeType !== 'string' || !MIME_TYPE.test(a.mimeType)) refuse(`${field}.mimeType`, `${field}.mimeType must be a media type such as application/pdf`);
    const base64 = typeof a.content === 'string' ? a.content.replace(/\s+/g, '') : '';
    if (base64.length % 4 !== 0 || !BASE64.test(base64)) refuse(`${field}.content`, `${field}.content must be the file in base64`);
    const bytes = decodedBytes(base64);
    if (bytes === 0) refuse(`${field}.content`, `${field} is empty`);
    if (bytes > OUTGOING_ATTACHMENT_LIMITS.bytesEach) {
      refuse(`${field}.content`, `${field} is ${bytes} bytes; at most ${OUTGOING_ATTACHMENT_LIMITS.bytesEach} per attachment`);
    }
    total += bytes;
    if (total > OUTGOING_ATTACHMENT_LIMITS.bytesTotal) refuse('attachments', `the attachments together are more than ${OUTGOING_ATTACHMENT_LIMITS.bytesTotal} bytes`);
    return { filename: a.filename, mimeType: a.mimeType.toLowerCase(), base64, bytes };
  });
}
