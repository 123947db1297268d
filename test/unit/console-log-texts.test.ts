import { shownText, translateLog } from '../../api/console/log-texts';
import { planNotices, runbookReason, stepDetail } from '../../api/console/runbook-texts';
import { wordsFor } from '../../api/i18n';

/** The communication log (stored in English) in the filing page's language: known texts by pattern, values kept. */
describe('console log texts', () => {
  const nl = wordsFor('nl');
  const en = wordsFor('en');

  it('says known log texts again in Dutch, keeping numbers, kenmerken, names and notes', () => {
    expect(translateLog({ procedureStep: 'prepare message', text: 'VAT return 2026-Q1 for Klant 123 B.V. prepared as message 7, version 2 (Anna (staff console))' }, nl)).toEqual({
      translated: 'Btw-aangifte 2026-Q1 voor Klant 123 B.V. klaargemaakt als bericht 7, versie 2 (Anna (staff console))',
      stepName: 'bericht klaarmaken',
    });
    expect(translateLog({ procedureStep: 'reconcile', text: 'staff Piet adopted Digipoort process 5f0c-11' }, nl).translated).toBe('staff Piet heeft Digipoort-proces 5f0c-11 overgenomen');
    expect(translateLog({ procedureStep: 'receive', text: 'lifecycle 60 → 90 (Digipoort 510): rejected by KvK (Het boekjaar 2024 is al gedeponeerd.); final, a new filing must be created and submitted' }, nl).translated)
      .toBe('status 60 → 90 (Digipoort 510): afgekeurd door KvK (Het boekjaar 2024 is al gedeponeerd.); definitief, er moet een nieuwe aangifte worden gemaakt en ingediend');
    expect(translateLog({ procedureStep: 'receive', text: 'lifecycle 60 → 90 (Digipoort 311): rejected by the tax authority; final, a new filing must be created and submitted' }, en).translated)
      .toBe('lifecycle 60 → 90 (Digipoort 311): rejected by the tax authority; final, a new filing must be created and submitted');
    expect(translateLog({ procedureStep: 'process message', text: 'lifecycle 40 marked as handled by Anna: new version asked; see mail' }, nl).translated).toBe('status 40 als afgehandeld gemarkeerd door Anna: new version asked; see mail');
  });

  it('leaves an unknown text as stored (the page marks it lang="en") and an unknown step unnamed', () => {
    expect(translateLog({ procedureStep: 'something new', text: 'a text no pattern knows' }, nl)).toEqual({ translated: undefined, stepName: undefined });
  });

  const certificateId = '6f1c2a4e-1111-4a2b-9c3d-0123456789ab';
  const clientId = '7a2d3b5f-2222-4b3c-8d4e-123456789abc';
  const names = { certificate: (id: string) => (id === certificateId ? '"Holding B.V." (KvK 51234560)' : undefined), client: (id: string) => (id === clientId ? 'Klant 1 B.V.' : undefined) };

  it('names the signing certificate by its name and KvK number instead of its id', () => {
    const text = `signed with certificate ${certificateId} (group group "Noord", Becon 200001) as Intermediair`;
    expect(translateLog({ procedureStep: 'send message', text }, nl, names).translated).toBe('ondertekend met certificaat "Holding B.V." (KvK 51234560) (groep "Noord", Becon 200001) als Intermediair');
    expect(translateLog({ procedureStep: 'send message', text }, en, names).translated).toBe('signed with certificate "Holding B.V." (KvK 51234560) (group "Noord", Becon 200001) as Intermediair');
    expect(translateLog({ procedureStep: 'send message', text: 'attempt FH1-1-v1-a1 sent to Digipoort with 2 attachments (berichtBijlagen): kenmerk k-1, received by Digipoort at 2026-12-03T07:27:11.980Z' }, nl).translated)
      .toBe('poging FH1-1-v1-a1 naar Digipoort verstuurd met 2 bijlage(n) (berichtBijlagen): kenmerk k-1, door Digipoort ontvangen op 2026-12-03T07:27:11.980Z');
    expect(translateLog({ procedureStep: 'send message', text: `signed with certificate ${certificateId} (work) as Intermediair` }, nl, names).translated).toBe('ondertekend met certificaat "Holding B.V." (KvK 51234560) (werkcertificaat) als Intermediair');
  });

  it('says mandate, VIA, runbook, certificate and Digipoort log texts in Dutch, clients by name', () => {
    const say = (text: string) => translateLog({ procedureStep: 'receive', text }, nl, names).translated;
    expect(say(`mandate SBA 2026 (continuing) of client ${clientId}: REQUESTED → REJECTED (not known)`)).toBe('machtiging SBA 2026 (doorlopend) van cliënt Klant 1 B.V.: aangevraagd → afgewezen (not known)');
    expect(say(`VIA 2025 of client ${clientId} (retrieval ${certificateId}): pre-filled data retrieved and stored as version 2 (1 employer(s), 3 bank account(s))`))
      .toBe('VIA 2025 van cliënt Klant 1 B.V.: vooraf ingevulde gegevens opgehaald en opgeslagen als versie 2 (1 werkgever(s), 3 bankrekening(en))');
    expect(say(`runbook RB4 ${certificateId}: step install-certificates: "Holding (new)" installed`)).toBe('draaiboek RB4: stap Certificaten installeren: "Holding (new)" geïnstalleerd');
    expect(say(`runbook RB1 ${certificateId}: running → paused: step 2 (Switch several certificates on) failed: C1: the group is taken`))
      .toBe('draaiboek RB1: loopt → gepauzeerd: stap 2 (Meerdere certificaten aanzetten) mislukt: regel C1: ' + nl.t.rule_C1);
    expect(say('Digipoort 210 Authenticatie niet gelukt — H13: check which certificate was used and that it is known at the service provider'))
      .toBe('Digipoort 210 Authenticatie niet gelukt — H13: controleer welk certificaat is gebruikt en of het bij de dienstverlener bekend is');
    expect(say('C7: certificate "Holding" (KvK 51234560) expires in 30 day(s) (2027-01-01); the replacement must be in place before then: install the new certificate, then run RB4 (same KvK number) or RB5 (the same firm under a new KvK number)'))
      .toBe('C7: certificaat "Holding" (KvK 51234560) verloopt over 30 dag(en) (2027-01-01); de vervanging moet daarvoor klaarstaan: installeer het nieuwe certificaat en voer dan RB4 (zelfde KvK-nummer) of RB5 (hetzelfde kantoor onder een nieuw KvK-nummer) uit');
    // A rule's refusal: its own Dutch text on a Dutch page; the stored English on an English page.
    expect(say('C5: no certificate for this client')).toBe(`regel C5: ${nl.t.rule_C5}`);
    expect(translateLog({ procedureStep: 'send message', text: 'C5: no certificate for this client' }, en).translated).toBeUndefined();
    expect(shownText('send/receive (api): 1 started, 2 status changes, 0 unknown return messages', nl)).toEqual({ text: 'verzenden en ontvangen (op verzoek): 1 gestart, 2 statuswijzigingen, 0 onbekende retourberichten' });
    expect(shownText('something nobody wrote', nl)).toEqual({ text: 'something nobody wrote', lang: 'en' });
    expect(shownText('something nobody wrote', en)).toEqual({ text: 'something nobody wrote' });
  });

  it('renders runbook details, reasons and plan notices in the page language (ids as names)', () => {
    expect(stepDetail(`work certificate ${certificateId}`, nl, names)).toEqual({ text: 'werkcertificaat "Holding B.V." (KvK 51234560)' });
    expect(stepDetail('"A" in group "Noord", "B" installed', nl, names)).toEqual({ text: '"A" in groep "Noord", "B" geïnstalleerd' });
    expect(stepDetail('2 of 11 mandate(s) requested', nl, names)).toEqual({ text: '2 van 11 machtiging(en) aangevraagd' });
    expect(runbookReason('3 mandate(s) still on their way: Digipoort unavailable for 2 of them (connect ECONNREFUSED); retrying', nl, names)).toEqual({ text: '3 machtiging(en) nog onderweg: Digipoort niet bereikbaar voor 2 ervan; wordt opnieuw geprobeerd' });
    expect(runbookReason(`RB4: certificate ${certificateId} is in runbook ${clientId}; one runbook per certificate at a time`, nl, names)).toEqual({ text: 'certificaat "Holding B.V." (KvK 51234560) zit al in een ander draaiboek; één draaiboek per certificaat tegelijk' });
    expect(runbookReason('cancelled before step 3; the steps before it are done', en, names)).toEqual({ text: 'cancelled before step 3; the steps before it are done' });
    expect(runbookReason('an unknown database text', nl, names)).toEqual({ text: 'an unknown database text', lang: 'en' });
    const notices = planNotices({ notices: [{ code: 'exclusivity' }, { code: 'unused-replacement', label: 'Oud' }], warnings: [] }, nl);
    expect(notices.map((n) => n.text)).toEqual([nl.t.rbNotice_exclusivity, nl.f('rbNotice_unusedReplacement', { label: 'Oud' })]);
    // A plan stored before the codes: its English warnings recognised.
    expect(planNotices({ warnings: ['Between a revocation and the new request another intermediary could register for the same client, service and year (exclusivity).'] }, nl)).toEqual([{ text: nl.t.rbNotice_exclusivity }]);
  });
});
