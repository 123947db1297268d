import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ExclusiveCanonicalization } from 'xml-crypto';
import {
  c14nText,
  constructSignedEnvelope,
  NotCanonicalError,
  type CanonicalAddressingHeader,
  type CanonicalContent,
} from '../../integrations/wus/canonical';
import { buildRequestBody, buildSignedEnvelope, signEnvelope, type OperationRequest } from '../../integrations/wus/envelope';
import { WusRequestError } from '../../integrations/wus/errors';
import { measureSigning } from '../../integrations/wus/signing-bench';
import { NS, WSA_ANONYMOUS, type HashChoice, type OperationName } from '../../integrations/wus/protocol';
import { verifySignedEnvelope } from '../../integrations/wus/wss-verify';
import { childElements, parseXmlDocument } from '../../integrations/xml/safe-xml';
import { selfSignedCertificate } from '../helpers/self-signed';

/**
 * Our requests are signed canonical by construction (integrations/wus/canonical.ts). These tests hold that shortcut
 * to the real thing: for varied content, the bytes we hash are exactly what xml-crypto's exclusive c14n makes of the
 * parsed element, the signature equals the one xml-crypto's SignedXml computes over the same envelope, and the strict
 * verifier the simulator uses accepts it.
 */

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }) as {
  privateKey: KeyObject;
  publicKey: KeyObject;
};

const certificate = selfSignedCertificate({ privateKey, publicKey }, 'canonical signing test');

const SPECIAL = `Tom & Jerry <b>"quoted"</b> 'single' > tab\there\r\nCRLF\rCR\nLF é ß € 😀 \u00A0 ]]> &amp;`;
const xbrl = (extra: string) =>
  Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<xbrli:xbrl xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:bd-i="http://www.nltaxonomie.nl/nt19/bd/20241211/dictionary/bd-data">' +
      '<bd-i:Note><![CDATA[<not>markup</not> & more]]></bd-i:Note><bd-i:Text>&lt;&amp;&gt;&#x20AC;</bd-i:Text>' +
      extra +
      '</xbrli:xbrl>',
    'utf8',
  );

const identiteit = { nummer: '001000044B37', type: 'Fi' };
const requests: { name: string; operation: OperationName; request: OperationRequest[OperationName] }[] = [
  {
    name: 'aanleveren, special characters in every text field',
    operation: 'aanleveren',
    request: {
      berichtsoort: 'Omzet & <belasting>',
      aanleverkenmerk: `A&B<"'>\r\n\t€😀`,
      eerderAanleverkenmerk: ']]>',
      identiteitBelanghebbende: { nummer: '0010"00044B37', type: "F'i" },
      rolBelanghebbende: 'Intermediair & co',
      berichtInhoud: { mimeType: 'text/xml', bestandsnaam: SPECIAL.slice(0, 80), inhoud: xbrl('') },
      berichtBijlagen: [
        { mimeType: 'application/pdf', bestandsnaam: 'bijlage 1 & 2.pdf', inhoud: Buffer.from([0, 1, 2, 255]) },
        { mimeType: 'text/plain', bestandsnaam: '<2>.txt', inhoud: Buffer.from(SPECIAL, 'utf8') },
      ],
      autorisatieAdres: 'http://geenausp.nl?a=1&b=2',
    },
  },
  {
    name: 'aanleveren, a large XBRL instance with CDATA and entities',
    operation: 'aanleveren',
    request: {
      berichtsoort: 'Omzetbelasting',
      identiteitBelanghebbende: identiteit,
      rolBelanghebbende: 'Bedrijf',
      berichtInhoud: {
        mimeType: 'text/xml',
        bestandsnaam: 'omzetbelasting.xbrl',
        inhoud: xbrl('<bd-i:Amount contextRef="c1" unitRef="EUR" decimals="INF">1234</bd-i:Amount>\n'.repeat(3_000)),
      },
    },
  },
  {
    name: 'getStatussenProces with an empty and a filled time bound',
    operation: 'getStatussenProces',
    request: { kenmerk: 'k&<>"1', tijdstempelVanaf: '', tijdstempelTot: '2026-12-03T06:00:00Z' },
  },
  { name: 'getNieuweStatussenProces', operation: 'getNieuweStatussenProces', request: { kenmerk: '0c6f5e0a-1d2b-4c1e-9f3a-1234567890ab' } },
  {
    name: 'getProcessen',
    operation: 'getProcessen',
    request: { berichtsoort: 'ICP & OB', identiteitBelanghebbende: identiteit, autorisatieAdres: "x'y" },
  },
  { name: 'getBerichtsoorten', operation: 'getBerichtsoorten', request: { identiteitBelanghebbende: identiteit } },
];

function byWsuId(doc: Document): Map<string, Element> {
  const ids = new Map<string, Element>();
  const walk = (el: Element) => {
    const id = el.getAttributeNS(NS.wsu, 'Id');
    if (id) ids.set(id, el);
    for (const child of childElements(el)) walk(child);
  };
  walk(doc.documentElement);
  return ids;
}

const c14n = (el: Element) => new ExclusiveCanonicalization().process(el, {}) as string;

function signedInfoOf(doc: Document): Element {
  const header = childElements(doc.documentElement, NS.soap, 'Header')[0];
  const security = childElements(header, NS.wsse, 'Security')[0];
  const signature = childElements(security, NS.ds, 'Signature')[0];
  return childElements(signature, NS.ds, 'SignedInfo')[0];
}

function digestValues(doc: Document): Record<string, string> {
  const result: Record<string, string> = {};
  for (const reference of childElements(signedInfoOf(doc), NS.ds, 'Reference')) {
    result[reference.getAttribute('URI') ?? ''] = childElements(reference, NS.ds, 'DigestValue')[0].textContent ?? '';
  }
  return result;
}

function signatureValue(doc: Document): string {
  const signature = signedInfoOf(doc).parentNode as Element;
  return childElements(signature, NS.ds, 'SignatureValue')[0].textContent ?? '';
}

const headersFor = (to: string, messageId: string): CanonicalAddressingHeader[] => [
  { name: 'Action', text: 'http://logius.nl/digipoort/wus/2.0/aanleverservice/1.2/AanleverService/aanleverenRequest', mustUnderstand: true },
  { name: 'MessageID', text: messageId },
  { name: 'ReplyTo', address: WSA_ANONYMOUS },
  { name: 'To', text: to, mustUnderstand: true },
];

describe('WS-Security signing canonical by construction', () => {
  const now = new Date('2026-12-03T06:00:00.123Z');
  const to = `https://wus.example/aanleverservice?a=1&b=<2>"'`;
  const messageId = `urn:uuid:&<>"'\r\t\n`;

  for (const hash of ['sha1', 'sha256'] as HashChoice[]) {
    for (const { name, operation, request } of requests) {
      it(`${hash}: ${name}: the hashed bytes are the exclusive c14n of each parsed element`, () => {
        const body = buildRequestBody(operation, request);
        const built = constructSignedEnvelope({
          addressing: headersFor(to, messageId),
          body,
          certificateDer: certificate.raw,
          privateKey,
          hash,
          now,
          timestampTtlSeconds: 300,
        });
        const doc = parseXmlDocument(built.xml, 30_000_000);
        const ids = byWsuId(doc);
        expect(built.canonicalReferences.map((r) => r.id)).toEqual([
          'id-body',
          'id-timestamp',
          'id-action',
          'id-messageid',
          'id-replyto',
          'id-to',
        ]);
        for (const reference of built.canonicalReferences) {
          const element = ids.get(reference.id)!;
          expect(c14n(element)).toBe(reference.canonical);
          expect(createHash(hash).update(c14n(element), 'utf8').digest('base64')).toBe(reference.digest);
          expect(digestValues(doc)[`#${reference.id}`]).toBe(reference.digest);
        }
        expect(c14n(signedInfoOf(doc))).toBe(built.canonicalSignedInfo);

        // The same envelope signed by xml-crypto's SignedXml over a DOM: the same digests and signature value.
        const general = signEnvelope({
          addressing: headersFor(to, messageId).map((h) => ({
            name: h.name,
            mustUnderstand: h.mustUnderstand,
            xmlContent: h.address !== undefined ? `<a:Address>${c14nText(h.address)}</a:Address>` : c14nText(h.text!),
          })),
          bodyXml: body,
          certificateDer: certificate.raw,
          privateKey,
          hash,
          now,
          timestampTtlSeconds: 300,
        });
        const generalDoc = parseXmlDocument(general, 30_000_000);
        expect(digestValues(doc)).toEqual(digestValues(generalDoc));
        expect(signatureValue(doc)).toBe(signatureValue(generalDoc));
      });
    }

    it(`${hash}: the simulator's strict verifier accepts the client's envelope and reads the signed Body back`, () => {
      const { operation, request } = requests[0];
      const { xml } = buildSignedEnvelope({
        operation,
        to,
        bodyXml: buildRequestBody(operation, request),
        certificateDer: certificate.raw,
        privateKey,
        hash,
        now,
        messageId,
      });
      const verified = verifySignedEnvelope(parseXmlDocument(xml, 30_000_000), {
        certificate,
        tokenMustEqualCertificate: true,
        requireTokenReference: true,
        now,
        clockSkewSeconds: 60,
        maxAgeSeconds: 300,
      });
      expect([...verified.signed.keys()].sort()).toEqual(['Action', 'Body', 'MessageID', 'ReplyTo', 'Timestamp', 'To']);
      const aanlever = childElements(verified.signed.get('Body')!, NS.kv, 'aanleverRequest')[0];
      expect(childElements(aanlever, NS.kv, 'aanleverkenmerk')[0].textContent).toBe(`A&B<"'>\r\n\t€😀`);
      expect(childElements(verified.signed.get('MessageID')!)).toEqual([]);
      expect(verified.signed.get('MessageID')!.textContent).toBe(messageId);

      // One changed character of the signed payload: the digest no longer matches.
      const tampered = xml.replace('<inhoud>', '<inhoud>A');
      expect(() =>
        verifySignedEnvelope(parseXmlDocument(tampered, 30_000_000), {
          certificate,
          tokenMustEqualCertificate: true,
          requireTokenReference: true,
          now,
          clockSkewSeconds: 60,
          maxAgeSeconds: 300,
        }),
      ).toThrow(/digest or the signature value does not match/);
    });
  }

  it('random text through every escape agrees with exclusive c14n', () => {
    const alphabet = ['a', 'Z', '0', ' ', '&', '<', '>', '"', "'", '\t', '\n', '\r', '\r\n', ']]>', 'é', '€', '😀', '\u00A0', '\u0084', '&amp;', '='];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 150; i++) {
      let text = '';
      while (text.length < 30) text += alphabet[Math.floor(random() * alphabet.length)];
      text = text.slice(0, 30);
      if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
      const body = buildRequestBody('getStatussenProces', { kenmerk: text, autorisatieAdres: text });
      const built = constructSignedEnvelope({
        addressing: [{ name: 'MessageID', text }],
        body,
        certificateDer: certificate.raw,
        privateKey,
        hash: 'sha1',
        now,
        timestampTtlSeconds: 60,
      });
      const ids = byWsuId(parseXmlDocument(built.xml, 1_000_000));
      for (const reference of built.canonicalReferences) expect(c14n(ids.get(reference.id)!)).toBe(reference.canonical);
    }
  });

  it('text XML cannot carry is refused before anything is signed, naming the field', () => {
    expect(() => buildRequestBody('getStatussenProces', { kenmerk: 'a\uD800b' })).toThrow(WusRequestError);
    expect(() => buildRequestBody('getStatussenProces', { kenmerk: 'a\uFFFEb' })).toThrow(/kenmerk contains a character XML cannot carry/);
    expect(() => c14nText('\u0001')).toThrow(NotCanonicalError);
    // XML 1.1 line ends: xmldom makes them LF, XML 1.0 parsers (Digipoort) keep them; no signature holds at both.
    expect(() => buildRequestBody('getStatussenProces', { kenmerk: 'a\u2028b' })).toThrow(/kenmerk contains a character/);
    expect(() => c14nText('line\u0085end')).toThrow(NotCanonicalError);
    expect(() =>
      constructSignedEnvelope({
        addressing: [],
        body: '' as CanonicalContent,
        certificateDer: certificate.raw,
        privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        hash: 'sha1',
        now,
        timestampTtlSeconds: 60,
      }),
    ).toThrow(/RSA private key/);
  });

  it('measureSigning reports signing against bare crypto.sign of the same bytes', () => {
    const m = measureSigning({ bytes: 20_000, durationMs: 100 });
    expect(m.envelopeBytes).toBeGreaterThan(15_000);
    expect(m.signPerSecond).toBeGreaterThan(0);
    expect(m.bareSignPerSecond).toBeGreaterThan(0);
    expect(m.ratio).toBeCloseTo(m.signPerSecond / m.bareSignPerSecond, 10);
  });
});
