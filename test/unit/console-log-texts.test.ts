import { translateLog } from '../../api/console/log-texts';
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
});
