import https from 'node:https';
import { createMtlsAgent } from '../../integrations/wus/transport';
import { openCertificate, trust } from './wus';

/**
 * MTOM/XOP as a sending stack does it, for tests: the envelope is signed with its base64 inline, then each `inhoud`
 * is optimised into a binary MIME part that an `xop:Include` names. Written from XOP 1.0 and RFC 2046, independently
 * of the simulator's reader.
 */
export const XOP = 'http://www.w3.org/2004/08/xop/include';

export interface MimePartSpec {
  headers: Record<string, string>;
  content: Buffer;
}

export interface Optimised {
  /** The root XML with xop:Include in place of each optimised base64 text. */
  root: string;
  attachments: { contentId: string; content: Buffer }[];
}

/** Replaces the base64 text of every `<prefix:inhoud>` with an xop:Include and returns the binary parts. */
export function optimise(signedXml: string, prefix = 'kv'): Optimised {
  const attachments: Optimised['attachments'] = [];
  const pattern = new RegExp(`<${prefix}:inhoud>([A-Za-z0-9+/=]+)</${prefix}:inhoud>`, 'g');
  const root = signedXml.replace(pattern, (_all, base64: string) => {
    const contentId = `inhoud-${attachments.length + 1}@test.filing-hub`;
    attachments.push({ contentId, content: Buffer.from(base64, 'base64') });
    return `<${prefix}:inhoud><xop:Include xmlns:xop="${XOP}" href="cid:${encodeURIComponent(contentId)}"/></${prefix}:inhoud>`;
  });
  return { root, attachments };
}

export function rootPart(root: string, contentId = 'root@test.filing-hub'): MimePartSpec {
  return {
    headers: {
      'Content-Type': 'application/xop+xml; charset=UTF-8; type="text/xml"',
      'Content-Transfer-Encoding': '8bit',
      'Content-ID': `<${contentId}>`,
    },
    content: Buffer.from(root, 'utf8'),
  };
}

export function binaryPart(contentId: string, content: Buffer): MimePartSpec {
  return {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Transfer-Encoding': 'binary', 'Content-ID': `<${contentId}>` },
    content,
  };
}

/** A multipart body: each part after "--boundary" CRLF, headers, a blank line; closed by "--boundary--". */
export function multipart(parts: MimePartSpec[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = Object.entries(part.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    chunks.push(Buffer.from(`--${boundary}\r\n${head}\r\n`, 'latin1'), part.content, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}

export function mtomContentType(boundary: string, start = 'root@test.filing-hub'): string {
  return `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<${start}>"; start-info="text/xml"`;
}

/** The whole MTOM request for a signed envelope: root first, then one binary part per optimised inhoud. */
export function mtomRequest(signedXml: string, boundary = 'MIMEBoundary_filing_hub_test'): { body: Buffer; contentType: string; optimised: Optimised } {
  const optimised = optimise(signedXml);
  const parts = [rootPart(optimised.root), ...optimised.attachments.map((a) => binaryPart(a.contentId, a.content))];
  return { body: multipart(parts, boundary), contentType: mtomContentType(boundary), optimised };
}

/** POSTs any bytes with any Content-Type over mutual TLS as `slug`. */
export async function postBytes(slug: string, servicePath: string, body: Buffer, contentType: string, soapAction: string): Promise<{ status: number; body: string }> {
  const opened = openCertificate(slug);
  const agent = createMtlsAgent({ privateKey: opened.privateKey, certificatePem: opened.certificatePem, chainPem: opened.chainPem }, trust());
  try {
    return await new Promise((resolve, reject) => {
      const request = https.request(`${process.env.SIMULATOR_URL}${servicePath}`, {
        method: 'POST',
        agent,
        headers: { 'Content-Type': contentType, SOAPAction: `"${soapAction}"`, 'Content-Length': body.length },
      });
      request.setTimeout(60_000, () => request.destroy(new Error('timeout')));
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.end(body);
    });
  } finally {
    agent.destroy();
  }
}
