import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../../integrations/wus/errors';
import { SERVICES, requestAction } from '../../integrations/wus/protocol';
import { faultFrom } from '../../integrations/wus/response';
import { parseXmlDocument } from '../../integrations/xml/safe-xml';
import { faultResponse, responseBody, signedResponse } from '../../simulator/soap';
import { buildIndependentEnvelope, independentAanleverBody, type IndependentRequest } from '../helpers/independent-wus-client';
import { openCertificate, pkiDir, rawPost, simulatorAdmin, vatInstance, waitForStatuses, wusClientFor } from '../helpers/wus';

/**
 * Every bad case is refused by the side that must refuse it: the simulator (as Digipoort) answers violations of the
 * WUS profile with the unsigned ALS100 fault, the TLS layer refuses bad client certificates, and the product's client
 * refuses bad servers and bad responses.
 */
const OB = '001000044B37';
const AANLEVER_PATH = SERVICES.AanleverService.path;
const ACTION = requestAction('aanleveren');

function endpoint(): string {
  return `${process.env.SIMULATOR_URL}${AANLEVER_PATH}`;
}

function request(overrides: Partial<IndependentRequest> = {}, aanleverkenmerk = `indep-${randomUUID().slice(0, 8)}`): IndependentRequest {
  const holding = openCertificate('holding');
  return {
    endpoint: endpoint(),
    action: ACTION,
    body: independentAanleverBody({ berichtsoort: 'Omzetbelasting', aanleverkenmerk, nummer: OB, type: 'Fi', inhoud: vatInstance(OB) }),
    signingKey: holding.privateKey,
    tokenCertificateDer: holding.certificate.raw,
    ...overrides,
  };
}

/** Posts as the holding over mTLS and returns the parsed fault (or undefined when the request was accepted). */
async function post(xml: string, soapAction = ACTION): Promise<{ status: number; fault?: WusFault; body: string }> {
  const response = await rawPost('holding', AANLEVER_PATH, xml, soapAction);
  const doc = parseXmlDocument(response.body, 50_000_000);
  const body = doc.documentElement.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Fault')[0];
  return { status: response.status, fault: body ? faultFrom('aanleveren', body) : undefined, body: response.body };
}

async function expectRefused(xml: string, reason: RegExp, soapAction = ACTION): Promise<void> {
  const result = await post(xml, soapAction);
  expect(result.status).toBe(500);
  expect(result.fault).toBeDefined();
  expect(result.fault!.foutcode).toBe('ALS100');
  expect(result.fault!.faultstring).toBe('Algemene fout');
  expect(result.fault!.foutbeschrijving).toMatch(reason);
  // The fault is unsigned, as Digipoort's are: no Security header, no signature element.
  expect(result.body).not.toMatch(/<[\w-]*:?Security[\s>]|<[\w-]*:?Signature[\s>]/);
}

describe('a WUS client written independently from the reference', () => {
  it.each(['sha1', 'sha256'] as const)('is accepted by the simulator (%s) and its filing runs to 500', async (hash) => {
    const aanleverkenmerk = `indep-${hash}-${randomUUID().slice(0, 8)}`;
    const result = await post(buildIndependentEnvelope(request({ hash }, aanleverkenmerk)).xml);
    expect(result.fault).toBeUndefined();
    expect(result.status).toBe(200);
    const kenmerk = /<kenmerk>([^<]+)<\/kenmerk>/.exec(result.body)![1];
    const client = wusClientFor('holding');
    try {
      expect(await waitForStatuses(client, kenmerk, (c) => c.includes('500'))).toHaveLength(9);
    } finally {
      client.close();
    }
    expect(await simulatorAdmin.acceptedCount(aanleverkenmerk)).toBe(1);
  });
});

describe('the simulator refuses violations of the WUS profile with ALS100', () => {
  it('a body tampered with after signing', async () => {
    const { xml } = buildIndependentEnvelope(request());
    await expectRefused(xml.replace('<kv:berichtsoort>Omzetbelasting', '<kv:berichtsoort>ICP'), /digest or the signature value/);
  });

  it('a Timestamp tampered with after signing', async () => {
    const { xml } = buildIndependentEnvelope(request());
    const tampered = xml.replace(/<wsu:Expires>[^<]+<\/wsu:Expires>/, `<wsu:Expires>${new Date(Date.now() + 3_600_000).toISOString()}</wsu:Expires>`);
    await expectRefused(tampered, /digest or the signature value/);
  });

  it('a comment inserted into signed text', async () => {
    const { xml } = buildIndependentEnvelope(request());
    await expectRefused(xml.replace('<kv:berichtsoort>Omzet', '<kv:berichtsoort>Omzet<!--x-->'), /comments are not allowed/);
  });

  it('the signed Body moved into the header with another Body in its place (signature wrapping)', async () => {
    const { xml } = buildIndependentEnvelope(request());
    const signedBody = /<soapenv:Body wsu:Id="Part-Body">[\s\S]*<\/soapenv:Body>/.exec(xml)![0];
    const evilBody = `<soapenv:Body>${independentAanleverBody({ berichtsoort: 'ICP', nummer: OB, type: 'Fi', inhoud: Buffer.from('<evil/>') })}</soapenv:Body>`;
    const wrapped = xml
      .replace(signedBody, evilBody)
      .replace('</soapenv:Header>', `<w:Wrapper xmlns:w="urn:attacker">${signedBody}</w:Wrapper></soapenv:Header>`);
    await expectRefused(wrapped, /onbekend header-element|outside the signable parts|is not signed/);
  });

  it('duplicate ids', async () => {
    const { xml } = buildIndependentEnvelope(request());
    await expectRefused(xml.replace('<wsa:Action wsu:Id="Part-Action">', '<wsa:Action wsu:Id="Part-To">'), /duplicate id/);
  });

  it('two signatures', async () => {
    const { xml } = buildIndependentEnvelope(request());
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(xml)![0];
    await expectRefused(xml.replace(signature, signature + signature), /exactly one ds:Signature|duplicate id/);
  });

  it('a self-signed certificate in the token (not the TLS client certificate)', async () => {
    const selfSigned = openCertificate('self-signed');
    const { xml } = buildIndependentEnvelope(request({ signingKey: selfSigned.privateKey, tokenCertificateDer: selfSigned.certificate.raw }));
    await expectRefused(xml, /BinarySecurityToken is not the expected certificate/);
  });

  it('a token of another registered organisation (not the TLS client certificate)', async () => {
    const other = openCertificate('jansen');
    const { xml } = buildIndependentEnvelope(request({ signingKey: other.privateKey, tokenCertificateDer: other.certificate.raw }));
    await expectRefused(xml, /BinarySecurityToken is not the expected certificate/);
  });

  it('unknown headers', async () => {
    const { xml } = buildIndependentEnvelope(request({ extraHeader: '<x:Custom xmlns:x="urn:custom" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="extra">1</x:Custom>', sign: ['Body', 'Timestamp', 'To', 'Action', 'MessageID', 'ReplyTo', 'Extra'] }));
    await expectRefused(xml, /onbekend header-element \{urn:custom\}Custom/);
  });

  it('an unsigned WS-Addressing header', async () => {
    const { xml } = buildIndependentEnvelope(request({ sign: ['Body', 'Timestamp', 'To', 'Action', 'MessageID'] }));
    await expectRefused(xml, /ReplyTo is not signed/);
  });

  it('an unsigned Body or Timestamp', async () => {
    await expectRefused(buildIndependentEnvelope(request({ sign: ['Timestamp', 'To', 'Action', 'MessageID', 'ReplyTo'] })).xml, /Body is not signed/);
    await expectRefused(buildIndependentEnvelope(request({ sign: ['Body', 'To', 'Action', 'MessageID', 'ReplyTo'] })).xml, /Timestamp is not signed/);
  });

  it('wsa:To other than the endpoint, Action other than the SOAPAction, ReplyTo not anonymous', async () => {
    await expectRefused(buildIndependentEnvelope(request({ endpoint: 'https://elders.example/wus/2.0/aanleverservice/1.2' })).xml, /wsa:To is niet gelijk/);
    const { xml } = buildIndependentEnvelope(request());
    await expectRefused(xml, /niet gelijk aan de SOAPAction/, requestAction('getProcessen'));
    await expectRefused(buildIndependentEnvelope(request({ replyToAddress: 'https://attacker.example/replies' })).xml, /ReplyTo moet anonymous/);
  });

  it('a Timestamp out of its window', async () => {
    const old = new Date(Date.now() - 3_600_000);
    await expectRefused(buildIndependentEnvelope(request({ created: old, expires: new Date(old.getTime() + 300_000) })).xml, /Timestamp has expired/);
    await expectRefused(buildIndependentEnvelope(request({ created: new Date(Date.now() + 3_600_000) })).xml, /Timestamp is in the future/);
  });

  it('algorithms other than the published ones (HMAC)', async () => {
    const { xml } = buildIndependentEnvelope(request({ signatureMethodUri: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1' }));
    await expectRefused(xml, /signature algorithm .*hmac-sha1 is not accepted/);
  });

  it('a reference to an id that does not exist', async () => {
    const { xml } = buildIndependentEnvelope(request());
    await expectRefused(xml.replace('URI="#Part-ReplyTo"', 'URI="#nothing-here"'), /points at nothing/);
  });

  it('a DOCTYPE, and an entity bomb', async () => {
    const { xml } = buildIndependentEnvelope(request());
    await expectRefused(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>${xml}`, /DOCTYPE or ENTITY/);
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>';
    await expectRefused(bomb, /DOCTYPE or ENTITY/);
  });

  it('content over the 20 MiB limit (decoded), sent by a client that does not check it', async () => {
    const oversized = Buffer.alloc(20 * 1024 * 1024 + 1, 0x41);
    const body = independentAanleverBody({ berichtsoort: 'Omzetbelasting', nummer: OB, type: 'Fi', inhoud: oversized });
    await expectRefused(buildIndependentEnvelope(request({ body })).xml, /groter dan 20971520 bytes/);
  }, 120_000);

  it('a berichtsoort longer than 80 characters', async () => {
    const body = independentAanleverBody({ berichtsoort: 'X'.repeat(81), nummer: OB, type: 'Fi', inhoud: vatInstance(OB) });
    await expectRefused(buildIndependentEnvelope(request({ body })).xml, /berichtsoort is langer dan 80/);
  });
});

describe('the product client refuses before sending', () => {
  it('oversized content and over-long fields, with nothing sent', async () => {
    const client = wusClientFor('holding');
    const aanleverkenmerk = `oversized-${randomUUID().slice(0, 8)}`;
    try {
      const base = {
        berichtsoort: 'Omzetbelasting',
        aanleverkenmerk,
        identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
        rolBelanghebbende: 'Bedrijf',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'a.xbrl', inhoud: Buffer.alloc(20 * 1024 * 1024 + 1) },
      };
      await expect(client.aanleveren(base)).rejects.toThrow(WusRequestError);
      await expect(client.aanleveren({ ...base, berichtInhoud: { ...base.berichtInhoud, inhoud: vatInstance(OB), bestandsnaam: 'b'.repeat(81) } })).rejects.toMatchObject({
        field: 'berichtInhoud.bestandsnaam',
      });
      await expect(client.aanleveren({ ...base, berichtsoort: 'B'.repeat(81), berichtInhoud: { ...base.berichtInhoud, inhoud: vatInstance(OB) } })).rejects.toMatchObject({
        field: 'berichtsoort',
      });
      await expect(client.aanleveren({ ...base, aanleverkenmerk: 'k'.repeat(41), berichtInhoud: { ...base.berichtInhoud, inhoud: vatInstance(OB) } })).rejects.toMatchObject({
        field: 'aanleverkenmerk',
      });
    } finally {
      client.close();
    }
    expect(await simulatorAdmin.acceptedCount(aanleverkenmerk)).toBe(0);
  });
});

describe('mutual TLS', () => {
  const send = (slug: string) =>
    (async () => {
      const client = wusClientFor(slug);
      try {
        return await client.getBerichtsoorten({ identiteitBelanghebbende: { nummer: OB, type: 'Fi' } });
      } finally {
        client.close();
      }
    })();

  it('the simulator refuses expired and revoked client certificates during the handshake', async () => {
    for (const slug of ['expired', 'revoked']) {
      const error = await send(slug).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WusTransportError);
      expect(['tls', 'reset']).toContain((error as WusTransportError).failure);
    }
  });

  it('the client refuses a server certificate from an untrusted CA', async () => {
    const dir = pkiDir();
    const server = https.createServer(
      { cert: readFileSync(path.join(dir, 'untrusted-server.pem')), key: readFileSync(path.join(dir, 'untrusted-server.key.pem')) },
      (_req, res) => res.end('should never be reached'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    const client = wusClientFor('holding', { endpointBase: `https://127.0.0.1:${port}` });
    try {
      const error = await client.getBerichtsoorten({ identiteitBelanghebbende: { nummer: OB, type: 'Fi' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WusTransportError);
      expect(error).toMatchObject({ failure: 'tls', ambiguous: false });
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('the product client refuses bad responses from a trusted server', () => {
  let server: https.Server;
  let respond: (requestXml: string) => { status: number; body: string };
  let port: number;

  beforeAll(async () => {
    const dir = pkiDir();
    server = https.createServer(
      { cert: readFileSync(path.join(dir, 'simulator-server.pem')), key: readFileSync(path.join(dir, 'simulator-server.key.pem')) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const { status, body } = respond(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(status, { 'Content-Type': 'text/xml' }).end(body);
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  const messageIdOf = (xml: string) => /<a:MessageID[^>]*>([^<]+)</.exec(xml)![1];
  const body = responseBody('getBerichtsoorten', '<berichtsoort>Omzetbelasting</berichtsoort>');
  const serviceSigner = () => {
    const dir = pkiDir();
    return {
      privateKey: createPrivateKey(readFileSync(path.join(dir, 'digipoort-service.key.pem'))),
      certificateDer: new X509Certificate(readFileSync(path.join(dir, 'digipoort-service.pem'))).raw,
    };
  };
  const call = async () => {
    const client = wusClientFor('holding', { endpointBase: `https://127.0.0.1:${port}` });
    try {
      return await client.getBerichtsoorten({ identiteitBelanghebbende: { nummer: OB, type: 'Fi' } });
    } finally {
      client.close();
    }
  };

  it('accepts a response signed by the configured service certificate', async () => {
    respond = (xml) => ({ status: 200, body: signedResponse('getBerichtsoorten', messageIdOf(xml), body, serviceSigner(), new Date()) });
    await expect(call()).resolves.toEqual(['Omzetbelasting']);
  });

  it('refuses a response signed by another certificate', async () => {
    const other = openCertificate('holding');
    respond = (xml) => ({
      status: 200,
      body: signedResponse('getBerichtsoorten', messageIdOf(xml), body, { privateKey: other.privateKey, certificateDer: other.certificate.raw }, new Date()),
    });
    await expect(call()).rejects.toThrow(WusSecurityError);
  });

  it('refuses an unsigned non-fault response, and one that relates to another request', async () => {
    respond = () => ({
      status: 200,
      body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body>${body}</s:Body></s:Envelope>`,
    });
    await expect(call()).rejects.toThrow(/unsigned|wsse:Security/);
    respond = () => ({ status: 200, body: signedResponse('getBerichtsoorten', 'urn:uuid:another-request', body, serviceSigner(), new Date()) });
    await expect(call()).rejects.toThrow(/RelatesTo mismatch/);
  });

  it('refuses a response with a DOCTYPE', async () => {
    respond = (xml) => ({
      status: 200,
      body: `<!DOCTYPE s [<!ENTITY x "y">]>${signedResponse('getBerichtsoorten', messageIdOf(xml), body, serviceSigner(), new Date())}`,
    });
    await expect(call()).rejects.toThrow(/DOCTYPE or ENTITY/);
  });

  it('accepts an unsigned fault as a fault', async () => {
    respond = (xml) => ({ status: 500, body: faultResponse('StatusinformatieService', 'getBerichtsoorten', messageIdOf(xml), 'test') });
    await expect(call()).rejects.toMatchObject({ name: 'WusFault', foutcode: 'STS100' });
  });

  it('treats HTTP 5xx without a SOAP message as ambiguous', async () => {
    respond = () => ({ status: 502, body: '<html>Bad gateway</html>' });
    await expect(call()).rejects.toMatchObject({ name: 'WusTransportError', failure: 'http-status', ambiguous: true, httpStatus: 502 });
  });
});
