import { createHash, randomUUID } from 'node:crypto';
import { DIGIPOORT_HAPPY_FLOW, DIGIPOORT_STATUSES } from '../../domain/digipoort-status';
import { LIMITS, NS, SERVICES, requestAction } from '../../integrations/wus/protocol';
import { faultFrom } from '../../integrations/wus/response';
import { childElements, collapsed, parseXmlDocument, textOf } from '../../integrations/xml/safe-xml';
import { describe as statusText, withinLength } from '../../simulator/plans';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api } from '../helpers/hub';
import { buildIndependentEnvelope, independentAanleverBody, type IndependentRequest } from '../helpers/independent-wus-client';
import { XOP, binaryPart, mtomContentType, mtomRequest, multipart, optimise, postBytes, rootPart, type MimePartSpec } from '../helpers/mtom';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { openCertificate, simulatorAdmin, vatInstance, waitForStatuses, wusClientFor } from '../helpers/wus';

/**
 * Issue 11, item 5: the simulator speaks the protocol where it did not. The 500's Responsemessage names its own id and
 * the delivery it answers the right way round; MTOM/XOP is accepted on the AanleverService as the WSDL policy allows
 * (and anything malformed still refused with ALS100); the 210 and 220 texts are whole within the XSD's 80 characters,
 * and the hub stores what it received whole.
 */
const OB = '001000044B37';
const AANLEVER_PATH = SERVICES.AanleverService.path;
const STATUS_PATH = SERVICES.StatusinformatieService.path;
const ACTION = requestAction('aanleveren');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the Responsemessage of status 500', () => {
  it('MessageId is its own new id and RefersToMessageId the kenmerk of the delivery it answers, as in the captured one', async () => {
    const client = wusClientFor('holding');
    const aanleverkenmerk = `ack-${randomUUID().slice(0, 8)}`;
    try {
      const { result, messageId } = await client.aanleveren({
        berichtsoort: 'Omzetbelasting',
        aanleverkenmerk,
        identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
        rolBelanghebbende: 'Bedrijf',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'Omzetbelasting.xbrl', inhoud: vatInstance(OB) },
      });
      await waitForStatuses(client, result.kenmerk, (c) => c.includes('500'));
      const final = (await client.getStatussenProces({ kenmerk: result.kenmerk })).find((s) => s.statuscode === '500')!;
      const ack = parseXmlDocument(final.statusdetails!, 100_000).documentElement;
      expect(ack.localName).toBe('Responsemessage');
      // The Responsemessage has no namespace: children by local name.
      const child = (parent: Element, name: string) => childElements(parent).filter((e) => e.localName === name);
      const [identification] = child(ack, 'Identification');
      const field = (name: string) => {
        const found = child(identification, name);
        expect(found).toHaveLength(1);
        return collapsed(textOf(found[0]));
      };
      expect(childElements(identification).map((e) => e.localName)).toEqual([
        'MessageId', 'RefersToMessageId', 'MessageIdBd', 'DatumTijdOntvangst', 'ResponseType',
      ]);
      expect(field('RefersToMessageId')).toBe(result.kenmerk);
      expect(field('MessageId')).toMatch(UUID);
      expect([result.kenmerk, aanleverkenmerk, messageId, messageId.replace(/^urn:uuid:/, '')]).not.toContain(field('MessageId'));
      expect(field('ResponseType')).toBe('acknowledgement');

      // Each delivery's acknowledgement has an id of its own.
      const again = await client.aanleveren({
        berichtsoort: 'Omzetbelasting',
        aanleverkenmerk,
        identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
        rolBelanghebbende: 'Bedrijf',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'Omzetbelasting.xbrl', inhoud: vatInstance(OB) },
      });
      await waitForStatuses(client, again.result.kenmerk, (c) => c.includes('500'));
      const second = (await client.getStatussenProces({ kenmerk: again.result.kenmerk })).find((s) => s.statuscode === '500')!;
      const secondIds = /<MessageId>([^<]+)<\/MessageId><RefersToMessageId>([^<]+)</.exec(second.statusdetails!)!;
      expect(secondIds[2]).toBe(again.result.kenmerk);
      expect(secondIds[1]).not.toBe(field('MessageId'));
    } finally {
      client.close();
    }
  });
});

function signedRequest(aanleverkenmerk: string, body?: string, overrides: Partial<IndependentRequest> = {}): string {
  const holding = openCertificate('holding');
  return buildIndependentEnvelope({
    endpoint: `${process.env.SIMULATOR_URL}${AANLEVER_PATH}`,
    action: ACTION,
    body: body ?? independentAanleverBody({ berichtsoort: 'Omzetbelasting', aanleverkenmerk, nummer: OB, type: 'Fi', inhoud: vatInstance(OB) }),
    signingKey: holding.privateKey,
    tokenCertificateDer: holding.certificate.raw,
    ...overrides,
  }).xml;
}

/** The aanleverRequest of independentAanleverBody with one bijlage (berichtBijlagen) before autorisatieAdres. */
function bodyWithBijlage(aanleverkenmerk: string, bijlage: Buffer): string {
  return independentAanleverBody({ berichtsoort: 'Omzetbelasting', aanleverkenmerk, nummer: OB, type: 'Fi', inhoud: vatInstance(OB) }).replace(
    '<kv:autorisatieAdres>',
    '<kv:berichtBijlagen><kv:bijlage><kv:mimeType>application/pdf</kv:mimeType><kv:bestandsnaam>toelichting.pdf</kv:bestandsnaam>' +
      `<kv:inhoud>${bijlage.toString('base64')}</kv:inhoud></kv:bijlage></kv:berichtBijlagen><kv:autorisatieAdres>`,
  );
}

async function postMtom(body: Buffer, contentType: string, path = AANLEVER_PATH, action = ACTION) {
  const response = await postBytes('holding', path, body, contentType, action);
  const doc = parseXmlDocument(response.body, 50_000_000);
  const fault = doc.documentElement.getElementsByTagNameNS(NS.soap, 'Fault')[0];
  return { ...response, fault: fault ? faultFrom('aanleveren', fault) : undefined };
}

describe('MTOM/XOP on the AanleverService', () => {
  interface SimulatorProcess {
    kenmerk: string;
    aanleverkenmerk: string;
    contentSha256: string;
    contentBytes: number;
    attachmentCount: number;
    requestMessageId: string;
  }

  it('a valid MTOM aanleveren (signed over the reconstructed envelope) is accepted and runs the same kenmerk flow to 500', async () => {
    const aanleverkenmerk = `mtom-${randomUUID().slice(0, 8)}`;
    const signed = signedRequest(aanleverkenmerk);
    const { body, contentType, optimised } = mtomRequest(signed);
    // The request on the wire really is optimised: binary payload in its own part, no base64 of it in the root.
    expect(optimised.attachments).toHaveLength(1);
    expect(optimised.attachments[0].content.equals(vatInstance(OB))).toBe(true);
    expect(optimised.root).not.toContain(vatInstance(OB).toString('base64'));

    const answer = await postMtom(body, contentType);
    expect(answer.fault).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/<[\w-]*:?Signature[\s>]/);
    const kenmerk = /<kenmerk>([^<]+)<\/kenmerk>/.exec(answer.body)![1];
    expect(kenmerk).toMatch(UUID);
    expect(/<aanleverkenmerk>([^<]+)<\/aanleverkenmerk>/.exec(answer.body)![1]).toBe(aanleverkenmerk);

    const process = await simulatorAdmin.get<SimulatorProcess>(`/admin/processes/${kenmerk}`);
    expect(process).toMatchObject({
      aanleverkenmerk,
      contentSha256: createHash('sha256').update(vatInstance(OB)).digest('hex'),
      contentBytes: vatInstance(OB).length,
      attachmentCount: 0,
    });
    const client = wusClientFor('holding');
    try {
      expect(await waitForStatuses(client, kenmerk, (c) => c.includes('500'))).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.code));
    } finally {
      client.close();
    }
    expect(await simulatorAdmin.acceptedCount(aanleverkenmerk)).toBe(1);
  });

  it('the root part need not come first (start names it), a bijlage may be optimised too, and an empty-element Include is fine', async () => {
    const aanleverkenmerk = `mtom-bijlage-${randomUUID().slice(0, 8)}`;
    const bijlage = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d, 0x41]); // "%PDF", NUL, 0xFF, CRLF, "--A"
    const { root, attachments } = optimise(signedRequest(aanleverkenmerk, bodyWithBijlage(aanleverkenmerk, bijlage)));
    expect(attachments).toHaveLength(2);
    const longForm = root.replace(/(<xop:Include [^>]*?)\/>/, '$1></xop:Include>');
    const boundary = 'uuid:0f3c7e1a-mtom+test';
    const parts = [binaryPart(attachments[1].contentId, attachments[1].content), rootPart(longForm, 'envelope@test'), binaryPart(attachments[0].contentId, attachments[0].content)];
    const answer = await postMtom(multipart(parts, boundary), mtomContentType(boundary, 'envelope@test'));
    expect(answer.fault).toBeUndefined();
    expect(answer.status).toBe(200);
    const kenmerk = /<kenmerk>([^<]+)<\/kenmerk>/.exec(answer.body)![1];
    expect(await simulatorAdmin.get<SimulatorProcess>(`/admin/processes/${kenmerk}`)).toMatchObject({
      contentSha256: createHash('sha256').update(vatInstance(OB)).digest('hex'),
      attachmentCount: 1,
    });
  });

  /** Malformed MTOM: each variant is refused with the unsigned ALS100 fault naming what is wrong, and nothing is accepted. */
  const BOUNDARY = 'MIMEBoundary_malformed';
  const malformed: [string, (kenmerk: string) => { body: Buffer; contentType: string }, RegExp][] = [
    ['no boundary in the Content-Type', (k) => ({ ...mtomRequest(signedRequest(k), BOUNDARY), contentType: 'multipart/related; type="application/xop+xml"; start="<root@test.filing-hub>"' }), /geen boundary/],
    ['a boundary longer than RFC 2046 allows', (k) => mtomRequest(signedRequest(k), 'b'.repeat(71)), /boundary in de Content-Type is ongeldig/],
    ['a boundary that is not in the body', (k) => ({ ...mtomRequest(signedRequest(k), BOUNDARY), contentType: mtomContentType('another-boundary') }), /komt in het bericht niet voor/],
    ['no close delimiter (cut off)', (k) => {
      const { body, contentType } = mtomRequest(signedRequest(k), BOUNDARY);
      return { body: body.subarray(0, body.length - `\r\n--${BOUNDARY}--\r\n`.length), contentType };
    }, /zonder afsluitende boundary/],
    ['multipart/related that is not XOP', (k) => ({ ...mtomRequest(signedRequest(k), BOUNDARY), contentType: `multipart/related; boundary="${BOUNDARY}"` }), /type="application\/xop\+xml"/],
    ['a root part that is not text/xml (SOAP 1.2)', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const rootSoap12 = rootPart(root);
      rootSoap12.headers['Content-Type'] = 'application/xop+xml; charset=UTF-8; type="application/soap+xml"';
      return { body: multipart([rootSoap12, binaryPart(attachments[0].contentId, attachments[0].content)], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /type="text\/xml"/],
    ['an Include naming a part that is not there', (k) => {
      const { root } = optimise(signedRequest(k));
      return { body: multipart([rootPart(root)], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /verwijst naar cid:inhoud-1@test\.filing-hub, dat MIME-deel ontbreekt/],
    ['a part no Include uses', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const parts = [rootPart(root), binaryPart(attachments[0].contentId, attachments[0].content), binaryPart('smuggled@test', Buffer.from('extra'))];
      return { body: multipart(parts, BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /<smuggled@test> wordt door geen xop:Include gebruikt/],
    ['two parts with one Content-ID', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const part = binaryPart(attachments[0].contentId, attachments[0].content);
      return { body: multipart([rootPart(root), part, part], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /Content-ID <inhoud-1@test\.filing-hub> komt meer dan eens voor/],
    ['the payload part changed after signing', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const tampered = Buffer.from(attachments[0].content.toString('utf8').replace('>210<', '>999<'));
      return { body: multipart([rootPart(root), binaryPart(attachments[0].contentId, tampered)], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /digest or the signature value does not match/],
    ['an Include outside inhoud', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const moved = root.replace('<kv:berichtsoort>Omzetbelasting</kv:berichtsoort>', `<kv:berichtsoort><xop:Include xmlns:xop="${XOP}" href="cid:name@test"/></kv:berichtsoort>`);
      const parts = [rootPart(moved), binaryPart(attachments[0].contentId, attachments[0].content), binaryPart('name@test', Buffer.from('Omzetbelasting'))];
      return { body: multipart(parts, BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /alleen toegestaan als inhoud van inhoud/],
    ['an Include with text beside it', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      return { body: multipart([rootPart(root.replace('<kv:inhoud><xop:Include', '<kv:inhoud>QUFB<xop:Include')), binaryPart(attachments[0].contentId, attachments[0].content)], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /enige inhoud van inhoud/],
    ['a base64 Content-Transfer-Encoding', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const part: MimePartSpec = binaryPart(attachments[0].contentId, Buffer.from(attachments[0].content.toString('base64')));
      part.headers['Content-Transfer-Encoding'] = 'base64';
      return { body: multipart([rootPart(root), part], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /Content-Transfer-Encoding base64 wordt niet ondersteund/],
    ['the same header twice in a part', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const part = binaryPart(attachments[0].contentId, attachments[0].content);
      part.headers['content-id'] = '<other@test>';
      return { body: multipart([rootPart(root), part], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /kopregel content-id komt in een MIME-deel meer dan eens voor/],
    ['more than 64 parts', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const extra = Array.from({ length: 64 }, (_, i) => binaryPart(`extra-${i}@test`, Buffer.from('x')));
      return { body: multipart([rootPart(root), binaryPart(attachments[0].contentId, attachments[0].content), ...extra], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /meer dan 64 MIME-delen/],
    ['a root part that is not UTF-8', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      const latin1 = rootPart(root);
      latin1.content = Buffer.from(root.replace('Bedrijf', 'Bedrijf\u00e9'), 'latin1');
      return { body: multipart([latin1, binaryPart(attachments[0].contentId, attachments[0].content)], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /geen geldige UTF-8/],
    ['a DOCTYPE in the root part', (k) => {
      const { root, attachments } = optimise(signedRequest(k));
      return { body: multipart([rootPart(`<!DOCTYPE x [<!ENTITY a "b">]>${root}`), binaryPart(attachments[0].contentId, attachments[0].content)], BOUNDARY), contentType: mtomContentType(BOUNDARY) };
    }, /DOCTYPE or ENTITY/],
    ['a Content-Type that is neither text/xml nor MTOM', (k) => ({ body: Buffer.from(signedRequest(k)), contentType: 'application/soap+xml; charset=utf-8' }), /Content-Type moet text\/xml zijn/],
    ['a malformed Content-Type', (k) => ({ body: Buffer.from(signedRequest(k)), contentType: 'text/xml; charset="utf-8' }), /niet afgesloten aanhalingsteken/],
  ];

  it.each(malformed)('refuses %s with ALS100 and accepts nothing', async (_name, build, reason) => {
    const aanleverkenmerk = `mtom-bad-${randomUUID().slice(0, 8)}`;
    const { body, contentType } = build(aanleverkenmerk);
    const answer = await postMtom(body, contentType);
    expect(answer.status).toBe(500);
    expect(answer.fault).toMatchObject({ foutcode: 'ALS100', faultstring: 'Algemene fout' });
    expect(answer.fault!.foutbeschrijving).toMatch(reason);
    expect(answer.body).not.toMatch(/<[\w-]*:?Security[\s>]|<[\w-]*:?Signature[\s>]/);
    expect(await simulatorAdmin.acceptedCount(aanleverkenmerk)).toBe(0);
  });

  it('the StatusinformatieService, whose policy has no MTOM, still takes text/xml only', async () => {
    const { body, contentType } = mtomRequest(signedRequest(`mtom-status-${randomUUID().slice(0, 8)}`));
    const answer = await postMtom(body, contentType, STATUS_PATH, requestAction('getStatussenProces'));
    expect(answer.status).toBe(500);
    expect(answer.body).toContain('STS100');
    expect(answer.body).toContain('Content-Type moet text/xml zijn (SOAP 1.1)');
  });
});

describe('status texts (statusomschrijving) are whole', () => {
  it('every code the simulator can send has a whole text within the XSD maximum of 80 characters; 210 and 220 are not cut mid-word', () => {
    for (const code of Object.keys(DIGIPOORT_STATUSES)) {
      const text = statusText(code);
      expect(text.length).toBeLessThanOrEqual(LIMITS.statusomschrijving);
      const captured = DIGIPOORT_STATUSES[code].statusomschrijving;
      if (captured) expect(text).toBe(captured);
      const meaning = DIGIPOORT_STATUSES[code].meaningNl;
      // A prefix of the longer meaning must end where a word ends.
      if (meaning.startsWith(text) && meaning.length > text.length) expect(meaning[text.length]).toMatch(/[\s:;,]/);
    }
    expect(statusText('210')).toBe('Authenticatie (verzender) niet gelukt.');
    expect(statusText('220')).toBe('Autorisatie (verzender) niet gelukt.');
    // Any text over the maximum is cut after its last whole word, never inside one.
    expect(withinLength('Validatie bij de uitvragende partij gelukt.', 80)).toBe('Validatie bij de uitvragende partij gelukt.');
    expect(withinLength('Afleveren uitvragende partij niet gelukt', 30)).toBe('Afleveren uitvragende partij');
    expect(withinLength('Technisch probleem (AuSP): details volgen', 26)).toBe('Technisch probleem (AuSP)');
  });

  it('210 arrives whole through the product client, with the reason in statusFoutcode', async () => {
    const unregistered = wusClientFor('willemsen');
    try {
      const { result } = await unregistered.aanleveren({
        berichtsoort: 'ICP',
        aanleverkenmerk: `whole-210-${randomUUID().slice(0, 8)}`,
        identiteitBelanghebbende: { nummer: '004495445B01', type: 'Fi' },
        rolBelanghebbende: 'Intermediair',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'icp.xbrl', inhoud: vatInstance('004495445B01') },
      });
      await waitForStatuses(unregistered, result.kenmerk, (c) => c.includes('210'));
      const final = (await unregistered.getStatussenProces({ kenmerk: result.kenmerk })).find((s) => s.statuscode === '210')!;
      expect(final.statusomschrijving).toBe('Authenticatie (verzender) niet gelukt.');
      expect(final.statusFoutcode).toEqual({ foutcode: 'ATH100', foutbeschrijving: 'De verzender is niet gemachtigd om het bericht te verzenden.' });
    } finally {
      unregistered.close();
    }
  });

  describe('the hub', () => {
    let ctx: TestContext;
    let api: Api;
    beforeAll(async () => {
      ctx = await startTestContext('whole-texts');
      api = await buildTestApp(ctx);
    });
    afterAll(async () => {
      await api?.app.close();
      await ctx?.close();
    });

    it('stores the 210 text whole, in the filing\'s statuses and in its log', async () => {
      // A certificate the (simulated) service provider does not know: Digipoort answers 210.
      const hub = await createTestHub(api, { certificate: 'willemsen' });
      const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
      const failed = await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 70);
      expect(failed.digipoortStatus).toBe('210');
      const filing = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${posted.number}`)).json() as {
        statuses: { statuscode: string; statusomschrijving: string; foutbeschrijving: string | null }[];
      };
      expect(filing.statuses.find((s) => s.statuscode === '210')).toMatchObject({
        statusomschrijving: 'Authenticatie (verzender) niet gelukt.',
        foutbeschrijving: 'De verzender is niet gemachtigd om het bericht te verzenden.',
      });
      const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${posted.number}`)).json() as { text: string }[];
      expect(log.find((l) => l.text.startsWith('Digipoort 210'))?.text).toContain(
        'Digipoort 210 Authenticatie (verzender) niet gelukt. (ATH100: De verzender is niet gemachtigd om het bericht te verzenden.)',
      );
    }, 120_000);
  });
});
