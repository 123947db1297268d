import { MAX_SOAP_MESSAGE_CHARS, NS } from '../integrations/wus/protocol';
import { allElements, parseXmlDocument } from '../integrations/xml/safe-xml';
import { KoppelvlakViolation } from './requests';

/**
 * The SOAP text of an incoming request: text/xml as it came, or an MTOM/XOP package (`multipart/related;
 * type="application/xop+xml"`, allowed on the AanleverService by `mtom:OptimizedMimeSerialization wsp:Optional="true"`,
 * digipoort-wus.md §1) turned back into the envelope it stands for: every `xop:Include` replaced by the base64 of the
 * MIME part it names (XOP 1.0 §3.2). The WS-Security signature covers that reconstructed envelope, as a sender signs
 * before it optimises; the caller verifies it exactly as for text/xml.
 *
 * The MIME reading is our own and strict: the boundary comes from the Content-Type only, CRLF line ends, bounded header
 * blocks and part counts, no regular expressions over the body, and anything unclear is a KoppelvlakViolation (ALS100).
 */
export const XOP_NAMESPACE = 'http://www.w3.org/2004/08/xop/include';

/** The root part and at most one part per attachment: generous for an aanleverRequest with berichtBijlagen. */
const MAX_PARTS = 64;
const MAX_PART_HEADER_BYTES = 8 * 1024;
const MAX_PART_HEADERS = 32;
const MAX_CONTENT_TYPE_CHARS = 2048;
const MAX_CONTENT_ID_CHARS = 512;

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

function refuse(reason: string): never {
  throw new KoppelvlakViolation(reason);
}

export function soapEnvelopeText(contentTypeHeader: string, body: Buffer): string {
  const contentType = parseMediaType(contentTypeHeader, 'Content-Type');
  if (contentType?.type === 'text/xml') return body.toString('utf8');
  if (contentType?.type === 'multipart/related' && contentType.params.get('type')?.toLowerCase() === 'application/xop+xml') {
    return reconstructXop(contentType.params, body);
  }
  if (contentType?.type === 'multipart/related') {
    refuse('MTOM: multipart/related moet type="application/xop+xml" hebben');
  }
  return refuse('Content-Type moet text/xml zijn (SOAP 1.1), of multipart/related; type="application/xop+xml" (MTOM)');
}

/** The other services' policies have no MTOM assertion: text/xml only. */
export function textXmlOnly(contentTypeHeader: string, xml: string): string {
  if (parseMediaType(contentTypeHeader, 'Content-Type')?.type !== 'text/xml') refuse('Content-Type moet text/xml zijn (SOAP 1.1)');
  return xml;
}

interface MediaType {
  /** type/subtype, lower case. */
  type: string;
  /** Parameters by lower-case name, values unquoted. */
  params: Map<string, string>;
}

/** RFC 2045 token characters: visible ASCII except tspecials. */
function isTokenChar(code: number): boolean {
  return code > 0x20 && code < 0x7f && !'()<>@,;:\\"/[]?='.includes(String.fromCharCode(code));
}

/**
 * Parses `type/subtype *(; name=value)` (RFC 2045 §5.1) by hand; undefined when the header is empty. A malformed
 * header (a parameter without '=', an unterminated quoted string, a parameter given twice) is refused.
 */
export function parseMediaType(header: string, what: string): MediaType | undefined {
  if (header.length > MAX_CONTENT_TYPE_CHARS) refuse(`${what} is langer dan ${MAX_CONTENT_TYPE_CHARS} tekens`);
  let i = 0;
  const skipSpace = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < header.length && isTokenChar(header.charCodeAt(i))) i++;
    return header.slice(start, i);
  };
  skipSpace();
  if (i === header.length) return undefined;
  const type = token();
  if (header[i] !== '/') refuse(`${what} "${header.slice(0, 100)}" is geen mediatype`);
  i++;
  const subtype = token();
  if (!type || !subtype) refuse(`${what} "${header.slice(0, 100)}" is geen mediatype`);
  const params = new Map<string, string>();
  for (;;) {
    skipSpace();
    if (i === header.length) break;
    if (header[i] !== ';') refuse(`${what}: onverwacht teken "${header[i]}"`);
    i++;
    skipSpace();
    if (i === header.length) break;
    const name = token().toLowerCase();
    if (!name || header[i] !== '=') refuse(`${what}: parameter zonder naam of waarde`);
    i++;
    let value = '';
    if (header[i] === '"') {
      i++;
      let closed = false;
      while (i < header.length) {
        const c = header[i++];
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === '\\' && i < header.length) value += header[i++];
        else value += c;
      }
      if (!closed) refuse(`${what}: parameter ${name} heeft een niet afgesloten aanhalingsteken`);
    } else {
      value = token();
      if (!value) refuse(`${what}: parameter ${name} heeft geen waarde`);
    }
    if (params.has(name)) refuse(`${what}: parameter ${name} komt meer dan eens voor`);
    params.set(name, value);
  }
  return { type: `${type}/${subtype}`.toLowerCase(), params };
}

interface MimePart {
  headers: Map<string, string>;
  contentId?: string;
  content: Buffer;
}

/** RFC 2046 §5.1.1: 1–70 characters from bchars, not ending in a space. */
function isValidBoundary(boundary: string): boolean {
  if (boundary.length < 1 || boundary.length > 70 || boundary.endsWith(' ')) return false;
  for (let i = 0; i < boundary.length; i++) {
    const c = boundary[i];
    const alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!alnum && !"'()+_,-./:=? ".includes(c)) return false;
  }
  return true;
}

/** Splits a multipart body at its boundary (RFC 2046 §5.1.1): preamble and epilogue ignored, a close delimiter required. */
export function splitMultipart(body: Buffer, boundary: string): MimePart[] {
  if (!isValidBoundary(boundary)) refuse('MTOM: de boundary in de Content-Type is ongeldig (1 tot 70 tekens, RFC 2046)');
  const dashBoundary = Buffer.from(`--${boundary}`, 'latin1');
  const delimiter = Buffer.concat([CRLF, dashBoundary]);
  // The first boundary may open the body or follow a preamble on a line of its own.
  let at = body.subarray(0, dashBoundary.length).equals(dashBoundary) ? 0 : body.indexOf(delimiter);
  if (at < 0) refuse('MTOM: de boundary uit de Content-Type komt in het bericht niet voor');
  if (at > 0) at += CRLF.length;
  const parts: MimePart[] = [];
  for (;;) {
    let cursor = at + dashBoundary.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) break; // "--": the close delimiter
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor++; // transport padding
    if (body[cursor] !== 0x0d || body[cursor + 1] !== 0x0a) refuse('MTOM: na een boundary moet de regel eindigen (CRLF)');
    const start = cursor + 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) refuse('MTOM: het bericht eindigt zonder afsluitende boundary');
    if (parts.length === MAX_PARTS) refuse(`MTOM: meer dan ${MAX_PARTS} MIME-delen`);
    parts.push(readPart(body.subarray(start, next)));
    at = next + CRLF.length;
  }
  if (parts.length === 0) refuse('MTOM: het bericht bevat geen MIME-delen');
  return parts;
}

function readPart(raw: Buffer): MimePart {
  let headerEnd: number;
  let contentStart: number;
  if (raw[0] === 0x0d && raw[1] === 0x0a) {
    headerEnd = 0; // no headers at all
    contentStart = 2;
  } else {
    headerEnd = raw.subarray(0, MAX_PART_HEADER_BYTES + HEADER_END.length).indexOf(HEADER_END);
    if (headerEnd < 0) refuse(`MTOM: de kopregels van een MIME-deel ontbreken of zijn langer dan ${MAX_PART_HEADER_BYTES} bytes`);
    contentStart = headerEnd + HEADER_END.length;
  }
  const headerBytes = raw.subarray(0, headerEnd);
  for (const byte of headerBytes) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) || byte > 0x7e) refuse('MTOM: kopregels van een MIME-deel moeten ASCII zijn');
  }
  const lines: string[] = [];
  for (const line of headerBytes.toString('latin1').split('\r\n')) {
    if (line === '' && headerBytes.length === 0) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // A folded header line continues the previous one (RFC 5322 §2.2.3).
      if (lines.length === 0) refuse('MTOM: een MIME-deel begint met een vervolgregel');
      lines[lines.length - 1] += line;
    } else {
      lines.push(line);
    }
  }
  if (lines.length > MAX_PART_HEADERS) refuse(`MTOM: een MIME-deel heeft meer dan ${MAX_PART_HEADERS} kopregels`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    if (!name || [...name].some((c) => !isTokenChar(c.charCodeAt(0)))) refuse(`MTOM: ongeldige kopregel "${line.slice(0, 60)}"`);
    if (headers.has(name)) refuse(`MTOM: kopregel ${name} komt in een MIME-deel meer dan eens voor`);
    headers.set(name, line.slice(colon + 1).trim());
  }
  const encoding = (headers.get('content-transfer-encoding') ?? 'binary').toLowerCase();
  if (!['binary', '8bit', '7bit'].includes(encoding)) {
    refuse(`MTOM: Content-Transfer-Encoding ${encoding} wordt niet ondersteund (binary, 8bit of 7bit)`);
  }
  const rawId = headers.get('content-id');
  let contentId: string | undefined;
  if (rawId !== undefined) {
    if (rawId.length > MAX_CONTENT_ID_CHARS || !rawId.startsWith('<') || !rawId.endsWith('>') || rawId.length < 3) {
      refuse(`MTOM: Content-ID "${rawId.slice(0, 60)}" moet de vorm <id> hebben`);
    }
    contentId = rawId.slice(1, -1);
  }
  return { headers, contentId, content: raw.subarray(contentStart) };
}

/** The Content-ID a `cid:` URL names (RFC 2392: the URL is the percent-encoded Content-ID). */
function contentIdOf(href: string): string {
  if (!/^cid:/i.test(href)) refuse(`MTOM: xop:Include href "${href.slice(0, 60)}" is geen cid:-URL`);
  try {
    return decodeURIComponent(href.slice(4));
  } catch {
    return refuse(`MTOM: xop:Include href "${href.slice(0, 60)}" is geen geldige cid:-URL`);
  }
}

interface TagSpan {
  start: number;
  /** Just past the element; -1 when it has content (not an empty element). */
  end: number;
  qname: string;
}

/**
 * The text spans of every element named `Include` (any prefix) in well-formed XML, in document order: a small lexer
 * that skips comments, CDATA sections and processing instructions and honours quoted attribute values, so each span
 * is exactly one element the DOM also sees.
 */
function includeSpans(xml: string): TagSpan[] {
  const spans: TagSpan[] = [];
  const skipPast = (marker: string, from: number): number => {
    const end = xml.indexOf(marker, from);
    if (end < 0) refuse('MTOM: de XML van het hoofddeel is niet afgesloten');
    return end + marker.length;
  };
  let i = xml.indexOf('<');
  while (i >= 0) {
    if (xml.startsWith('<!--', i)) i = skipPast('-->', i + 4);
    else if (xml.startsWith('<![CDATA[', i)) i = skipPast(']]>', i + 9);
    else if (xml.startsWith('<?', i)) i = skipPast('?>', i + 2);
    else {
      const closing = xml[i + 1] === '/';
      let j = closing ? i + 2 : i + 1;
      const nameStart = j;
      while (j < xml.length && !' \t\r\n/>'.includes(xml[j])) j++;
      const qname = xml.slice(nameStart, j);
      let quote = '';
      for (; j < xml.length; j++) {
        const c = xml[j];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (j >= xml.length) refuse('MTOM: de XML van het hoofddeel is niet afgesloten');
      const tagEnd = j + 1;
      if (!closing && qname.slice(qname.indexOf(':') + 1) === 'Include') {
        let end = tagEnd;
        if (xml[j - 1] !== '/') {
          // <xop:Include ...></xop:Include>: an empty element ends with its end tag at once; else it has content.
          const endTag = `</${qname}`;
          let k = tagEnd + endTag.length;
          while (k < xml.length && ' \t\r\n'.includes(xml[k])) k++;
          end = xml.startsWith(endTag, tagEnd) && xml[k] === '>' ? k + 1 : -1;
        }
        spans.push({ start: i, end, qname });
      }
      i = tagEnd;
    }
    i = xml.indexOf('<', i);
  }
  return spans;
}

/** The root part's text (strict UTF-8) after checking its Content-Type is the XOP form of a SOAP 1.1 envelope. */
function rootText(root: MimePart): string {
  const type = parseMediaType(root.headers.get('content-type') ?? '', 'Content-Type van het hoofddeel');
  if (type?.type !== 'application/xop+xml') refuse('MTOM: het hoofddeel moet Content-Type application/xop+xml hebben');
  if (type.params.get('type')?.toLowerCase() !== 'text/xml') refuse('MTOM: het hoofddeel moet type="text/xml" hebben (SOAP 1.1)');
  const charset = type.params.get('charset')?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8') refuse(`MTOM: charset ${charset} wordt niet ondersteund (UTF-8)`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(root.content);
  } catch {
    return refuse('MTOM: het hoofddeel is geen geldige UTF-8');
  }
}

function reconstructXop(params: Map<string, string>, body: Buffer): string {
  const boundary = params.get('boundary') ?? refuse('MTOM: de Content-Type heeft geen boundary');
  const startInfo = params.get('start-info');
  if (startInfo !== undefined && startInfo.toLowerCase() !== 'text/xml') refuse('MTOM: start-info moet text/xml zijn (SOAP 1.1)');
  const parts = splitMultipart(body, boundary);
  const byId = new Map<string, MimePart>();
  for (const part of parts) {
    if (part.contentId === undefined) continue;
    if (byId.has(part.contentId)) refuse(`MTOM: Content-ID <${part.contentId.slice(0, 60)}> komt meer dan eens voor`);
    byId.set(part.contentId, part);
  }
  const start = params.get('start');
  let root = parts[0];
  if (start !== undefined) {
    const id = start.startsWith('<') && start.endsWith('>') ? start.slice(1, -1) : start;
    root = byId.get(id) ?? refuse(`MTOM: het hoofddeel (start ${start.slice(0, 60)}) ontbreekt`);
  }
  const xml = rootText(root);

  // The DOM says which Include elements are XOP's and checks the rules; the lexer says where they are in the text.
  let doc: Document;
  try {
    doc = parseXmlDocument(xml, MAX_SOAP_MESSAGE_CHARS);
  } catch (err) {
    return refuse(`MTOM: ${(err as Error).message}`);
  }
  const includes = allElements(doc.documentElement).filter((el) => el.localName === 'Include');
  const spans = includeSpans(xml);
  if (spans.length !== includes.length || spans.some((span, n) => span.qname !== includes[n].nodeName)) {
    refuse('MTOM: de xop:Include-elementen zijn niet eenduidig te vinden');
  }
  for (const el of allElements(doc.documentElement)) {
    if (el.namespaceURI === XOP_NAMESPACE && el.localName !== 'Include') refuse(`MTOM: element xop:${el.localName} is niet toegestaan`);
  }

  const used = new Set<MimePart>([root]);
  const pieces: string[] = [];
  let copied = 0;
  let length = xml.length;
  includes.forEach((el, n) => {
    if (el.namespaceURI !== XOP_NAMESPACE) return;
    for (let a = 0; a < el.attributes.length; a++) {
      const attr = el.attributes.item(a)!;
      if (attr.name !== 'href' && attr.prefix !== 'xmlns' && attr.name !== 'xmlns') refuse(`MTOM: xop:Include heeft een onbekend attribuut ${attr.name}`);
    }
    if (el.firstChild) refuse('MTOM: xop:Include mag geen inhoud hebben');
    const parent = el.parentNode as Element;
    // Only base64Binary content may be optimised (XOP §3.2); in the koppelvlak that is `inhoud` alone.
    if (parent.namespaceURI !== NS.kv || parent.localName !== 'inhoud') refuse('MTOM: xop:Include is alleen toegestaan als inhoud van inhoud');
    if (parent.childNodes.length !== 1) refuse('MTOM: xop:Include moet de enige inhoud van inhoud zijn');
    const href = el.getAttribute('href') ?? refuse('MTOM: xop:Include zonder href');
    const id = contentIdOf(href);
    const part = byId.get(id) ?? refuse(`MTOM: xop:Include verwijst naar cid:${id.slice(0, 60)}, dat MIME-deel ontbreekt`);
    if (used.has(part)) refuse(`MTOM: MIME-deel <${id.slice(0, 60)}> wordt meer dan eens gebruikt (of is het hoofddeel)`);
    used.add(part);
    if (spans[n].end < 0) refuse('MTOM: xop:Include mag geen inhoud hebben');
    // The expansion stays within the limit a text/xml request has (the reader then applies the XSD's 20 MiB by name).
    length += Math.ceil(part.content.length / 3) * 4 - (spans[n].end - spans[n].start);
    if (length > MAX_SOAP_MESSAGE_CHARS) refuse(`MTOM: het bericht is met de MIME-delen groter dan ${MAX_SOAP_MESSAGE_CHARS} tekens`);
    pieces.push(xml.slice(copied, spans[n].start), part.content.toString('base64'));
    copied = spans[n].end;
  });
  for (const part of parts) {
    if (!used.has(part)) refuse(`MTOM: MIME-deel <${(part.contentId ?? '(zonder Content-ID)').slice(0, 60)}> wordt door geen xop:Include gebruikt`);
  }
  pieces.push(xml.slice(copied));
  return pieces.join('');
}
