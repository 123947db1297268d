import { randomUUID } from 'node:crypto';
import { DIGIPOORT_HAPPY_FLOW } from '../../domain/digipoort-status';
import { WusFault, WusTransportError } from '../../integrations/wus/errors';
import type { WusClient } from '../../integrations/wus/client';
import { organisation, simulatorAdmin, vatInstance, waitForStatuses, wusClientFor } from '../helpers/wus';

/**
 * The product's WUS client against the simulator, a separate process, over real mutual TLS: the Happyflow and every
 * conformance scenario keyed on aanleverkenmerk (digipoort-wus.md §8).
 */
const OB = '001000044B37';

describe('WUS client ↔ Digipoort simulator (mutual TLS, separate process)', () => {
  let client: WusClient;
  beforeAll(() => {
    client = wusClientFor('holding');
  });
  afterAll(() => client.close());

  async function deliver(aanleverkenmerk: string, berichtsoort = 'Omzetbelasting', content = vatInstance(OB)) {
    return client.aanleveren({
      berichtsoort,
      aanleverkenmerk,
      identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
      rolBelanghebbende: 'Bedrijf',
      berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'Omzetbelasting.xbrl', inhoud: content },
    });
  }

  it('Happyflow: a signed aanleverResponse without statuscode, then the nine verified statuses ending in 500', async () => {
    const { result } = await deliver('Happyflow');
    expect(result.kenmerk).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(result.statuscode).toBeUndefined();
    expect(result.aanleverkenmerk).toBe('Happyflow');
    expect(result.identiteitBelanghebbende).toEqual({ nummer: OB, type: 'Fi' });
    expect(result.identiteitOntvanger).toEqual({ nummer: '00000002003214394002', type: 'OIN' });
    expect(Date.parse(result.tijdstempelAangeleverd)).not.toBeNaN();

    const codes = await waitForStatuses(client, result.kenmerk, (c) => c.includes('500'));
    expect(codes).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.code));
    const statuses = await client.getStatussenProces({ kenmerk: result.kenmerk });
    expect(statuses.map((s) => s.statusomschrijving)).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.statusomschrijving));
    const final = statuses[statuses.length - 1];
    expect(final.statusdetails).toContain('<Responsemessage version="2006.1">');
    expect(final.statusdetails).toContain('<Description>Status: Verwerkbaar</Description>');
    expect(final.identiteitBelanghebbende.nummer).toBe(OB);
    const times = statuses.map((s) => Date.parse(s.tijdstempelStatus));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('getNieuweStatussenProces keeps a cursor per caller; getProcessen and getBerichtsoorten answer', async () => {
    const { result } = await deliver(`nieuwe-${randomUUID().slice(0, 8)}`);
    await waitForStatuses(client, result.kenmerk, (c) => c.includes('500'));
    const first = await client.getNieuweStatussenProces({ kenmerk: result.kenmerk });
    expect(first.map((s) => s.statuscode)).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.code));
    expect(await client.getNieuweStatussenProces({ kenmerk: result.kenmerk })).toEqual([]);
    // Another caller (another certificate registered for this belanghebbende) has a cursor of its own.
    await simulatorAdmin.register(organisation('jansen').hrn, 'Omzetbelasting', OB);
    const other = wusClientFor('jansen');
    try {
      expect(await other.getNieuweStatussenProces({ kenmerk: result.kenmerk })).toHaveLength(9);
    } finally {
      other.close();
    }
    // The full history stays available.
    expect(await client.getStatussenProces({ kenmerk: result.kenmerk })).toHaveLength(9);

    const processes = await client.getProcessen({ berichtsoort: 'Omzetbelasting', identiteitBelanghebbende: { nummer: OB, type: 'Fi' } });
    expect(processes.map((p) => p.kenmerk)).toContain(result.kenmerk);
    expect(processes.find((p) => p.kenmerk === result.kenmerk)).toMatchObject({
      berichtsoort: 'Omzetbelasting',
      identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
      identiteitOntvanger: { nummer: '00000002003214394002', type: 'OIN' },
    });
    expect(await client.getBerichtsoorten({ identiteitBelanghebbende: { nummer: OB, type: 'Fi' } })).toEqual(
      expect.arrayContaining(['ICP', 'OBSUP', 'Omzetbelasting', 'jaarverantwoording_kvk']),
    );
  });

  it('signs with rsa-sha256/sha256 when configured, and the simulator records the algorithm', async () => {
    const sha256 = wusClientFor('holding', { hash: 'sha256' });
    const aanleverkenmerk = `sha256-${randomUUID().slice(0, 8)}`;
    try {
      const { result } = await sha256.aanleveren({
        berichtsoort: 'Omzetbelasting',
        aanleverkenmerk,
        identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
        rolBelanghebbende: 'Bedrijf',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'a.xbrl', inhoud: vatInstance(OB) },
      });
      const process = await simulatorAdmin.get<{ signatureAlgorithm: string; digestAlgorithm: string }>(`/admin/processes/${result.kenmerk}`);
      expect(process.signatureAlgorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      expect(process.digestAlgorithm).toBe('http://www.w3.org/2001/04/xmlenc#sha256');
    } finally {
      sha256.close();
    }
    const { result } = await deliver(`sha1-${randomUUID().slice(0, 8)}`);
    const process = await simulatorAdmin.get<{ signatureAlgorithm: string }>(`/admin/processes/${result.kenmerk}`);
    expect(process.signatureAlgorithm).toBe('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
  });

  it('AanleverFault: an unsigned ALS100 fault, and nothing is accepted', async () => {
    const before = await simulatorAdmin.acceptedCount('AanleverFault');
    const error = await deliver('AanleverFault').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WusFault);
    expect(error).toMatchObject({ foutcode: 'ALS100', faultstring: 'Algemene fout', faultcode: 'soapenv:Client', operation: 'aanleveren' });
    expect((error as WusFault).foutbeschrijving).toContain('Het verzoek voldoet niet aan de koppelvlakspecificaties');
    expect(await simulatorAdmin.acceptedCount('AanleverFault')).toBe(before);
  });

  it('StatusInformatieFault: delivery works, status calls answer STS100', async () => {
    const { result } = await deliver('StatusInformatieFault');
    const error = await client.getStatussenProces({ kenmerk: result.kenmerk }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WusFault);
    expect(error).toMatchObject({ foutcode: 'STS100', operation: 'getStatussenProces' });
  });

  it.each([
    ['Afleverfout', ['105', '100', '110', '200', '301', '301', '405', '410'], 'AFS400'],
    ['Foutuitvragendepartij', ['105', '100', '110', '200', '301', '301', '405', '400', '510'], 'AFO100'],
    ['TechnischProbleemAfleveren', ['105', '100', '110', '200', '301', '301', '405', '420'], undefined],
    ['MaximaalAantalAfleverpogingen', ['105', '100', '110', '200', '301', '301', '405', '420', '420'], 'AFS600'],
  ])('%s ends with the scenario statuses', async (scenario, expected, foutcode) => {
    const { result } = await deliver(scenario);
    const codes = await waitForStatuses(client, result.kenmerk, (c) => c.length === expected.length);
    expect(codes).toEqual(expected);
    await new Promise((r) => setTimeout(r, 300));
    const statuses = await client.getStatussenProces({ kenmerk: result.kenmerk });
    expect(statuses.map((s) => s.statuscode)).toEqual(expected);
    expect(statuses[statuses.length - 1].statusFoutcode?.foutcode).toBe(foutcode);
  });

  it('ZwaarbelastAanleveren answers slowly but accepts; OverbelastAanleveren answers HTTP 503 and accepts nothing', async () => {
    const started = Date.now();
    const { result } = await deliver('ZwaarbelastAanleveren');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(result.kenmerk).toBeTruthy();

    const before = await simulatorAdmin.acceptedCount('OverbelastAanleveren');
    const error = await deliver('OverbelastAanleveren').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WusTransportError);
    expect(error).toMatchObject({ failure: 'http-status', httpStatus: 503, ambiguous: true });
    expect(await simulatorAdmin.acceptedCount('OverbelastAanleveren')).toBe(before);
  });

  it('ZwaarbelastStatusInformatie slows status calls; OverbelastStatusInformatie answers them with 503', async () => {
    const slow = await deliver('ZwaarbelastStatusInformatie');
    const started = Date.now();
    await client.getStatussenProces({ kenmerk: slow.result.kenmerk });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    const busy = await deliver('OverbelastStatusInformatie');
    const error = await client.getStatussenProces({ kenmerk: busy.result.kenmerk }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WusTransportError', httpStatus: 503 });
  });

  it('ends with 210 when the certificate is not registered for the berichtsoort and belanghebbende', async () => {
    const unregistered = wusClientFor('willemsen');
    try {
      const { result } = await unregistered.aanleveren({
        berichtsoort: 'ICP',
        aanleverkenmerk: `unregistered-${randomUUID().slice(0, 8)}`,
        identiteitBelanghebbende: { nummer: '004495445B01', type: 'Fi' },
        rolBelanghebbende: 'Intermediair',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'icp.xbrl', inhoud: vatInstance('004495445B01') },
      });
      const codes = await waitForStatuses(unregistered, result.kenmerk, (c) => c.includes('210'));
      expect(codes).toEqual(['105', '100', '110', '210']);
      const statuses = await unregistered.getStatussenProces({ kenmerk: result.kenmerk });
      expect(statuses[3].statusFoutcode?.foutcode).toBeTruthy();
    } finally {
      unregistered.close();
    }
  });

  it('ends with 311 / VAS500 and an error list when the payload is not well-formed XBRL for the berichtsoort', async () => {
    const notXbrl = await deliver(`notxbrl-${randomUUID().slice(0, 8)}`, 'Omzetbelasting', Buffer.from('<factuur>geen xbrl</factuur>'));
    const wrongEntryPoint = await deliver(`icp-as-ob-${randomUUID().slice(0, 8)}`, 'ICP', vatInstance(OB));
    for (const { result } of [notXbrl, wrongEntryPoint]) {
      const codes = await waitForStatuses(client, result.kenmerk, (c) => c.includes('311'));
      expect(codes).toEqual(['105', '100', '110', '200', '311']);
      const final = (await client.getStatussenProces({ kenmerk: result.kenmerk }))[4];
      expect(final.statusFoutcode?.foutcode).toBe('VAS500');
      expect(final.statusdetails).toMatch(/<msg level="error">/);
    }
  });

  it('KvK as receiving party ends the same way, with the KvK receiver identity', async () => {
    const kvk = organisation('holding').kvkNumber;
    const instance = Buffer.from(
      '<xbrli:xbrl xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:link="http://www.xbrl.org/2003/linkbase" xmlns:xlink="http://www.w3.org/1999/xlink" ' +
        'xmlns:jenv-bw2-i="http://www.nltaxonomie.nl/nt20/jenv/20251210/dictionary/jenv-bw2-data">' +
        '<link:schemaRef xlink:type="simple" xlink:href="http://www.nltaxonomie.nl/nt20/kvk/20251210/entrypoints/kvk-rpt-jaarverantwoording-2025-nlgaap-micro.xsd"/>' +
        `<xbrli:context id="c"><xbrli:entity><xbrli:identifier scheme="http://www.kvk.nl/kvk-id">${kvk}</xbrli:identifier></xbrli:entity>` +
        '<xbrli:period><xbrli:instant>2025-12-31</xbrli:instant></xbrli:period></xbrli:context>' +
        `<jenv-bw2-i:ChamberOfCommerceRegistrationNumber contextRef="c">${kvk}</jenv-bw2-i:ChamberOfCommerceRegistrationNumber>` +
        '</xbrli:xbrl>',
    );
    const { result } = await client.aanleveren({
      berichtsoort: 'jaarverantwoording_kvk',
      aanleverkenmerk: `kvk-${randomUUID().slice(0, 8)}`,
      identiteitBelanghebbende: { nummer: kvk, type: 'KvK' },
      rolBelanghebbende: 'Intermediair',
      berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'jaarverantwoording.xbrl', inhoud: instance },
    });
    expect(result.identiteitOntvanger?.nummer).not.toBe('00000002003214394002');
    const codes = await waitForStatuses(client, result.kenmerk, (c) => c.includes('500'));
    expect(codes).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.code));
  });
});
