import { childElements, collapsed, onlyChild, optionalChild, textOf } from '../xml/safe-xml';
import { NS } from './protocol';
import type { AanleverResponse, Fout, Identiteit, ProcesResultaat, StatusResultaat } from './types';

/** Typed readers of verified response content (namespace-aware, identifiers stay strings). */
const kvText = (parent: Element, name: string): string => collapsed(textOf(onlyChild(parent, NS.kv, name)));
const kvOptional = (parent: Element, name: string): string | undefined => {
  const el = optionalChild(parent, NS.kv, name);
  return el ? collapsed(textOf(el)) : undefined;
};
/** statusdetails and foutbeschrijving are free text (up to 1 MiB): kept as sent. */
const kvRaw = (parent: Element, name: string): string | undefined => {
  const el = optionalChild(parent, NS.kv, name);
  return el ? textOf(el) : undefined;
};

function identiteit(parent: Element, name: string): Identiteit {
  const el = onlyChild(parent, NS.kv, name);
  return { nummer: kvText(el, 'nummer'), type: kvText(el, 'type') };
}

function optionalIdentiteit(parent: Element, name: string): Identiteit | undefined {
  return optionalChild(parent, NS.kv, name) ? identiteit(parent, name) : undefined;
}

function fout(parent: Element, name: string): Fout | undefined {
  const el = optionalChild(parent, NS.kv, name);
  return el ? { foutcode: kvText(el, 'foutcode'), foutbeschrijving: kvRaw(el, 'foutbeschrijving') ?? '' } : undefined;
}

export function parseAanleverResponse(content: Element): AanleverResponse {
  return {
    kenmerk: kvText(content, 'kenmerk'),
    berichtsoort: kvText(content, 'berichtsoort'),
    aanleverkenmerk: kvOptional(content, 'aanleverkenmerk'),
    eerderAanleverkenmerk: kvOptional(content, 'eerderAanleverkenmerk'),
    tijdstempelAangeleverd: kvText(content, 'tijdstempelAangeleverd'),
    identiteitBelanghebbende: identiteit(content, 'identiteitBelanghebbende'),
    rolBelanghebbende: kvText(content, 'rolBelanghebbende'),
    identiteitOntvanger: optionalIdentiteit(content, 'identiteitOntvanger'),
    rolOntvanger: kvOptional(content, 'rolOntvanger'),
    autorisatieAdres: kvOptional(content, 'autorisatieAdres'),
    statuscode: kvOptional(content, 'statuscode'),
    tijdstempelStatus: kvOptional(content, 'tijdstempelStatus'),
    statusomschrijving: kvOptional(content, 'statusomschrijving'),
    statusFoutcode: fout(content, 'statusFoutcode'),
    statusdetails: kvRaw(content, 'statusdetails'),
  };
}

function returnList(content: Element, returnElement: string): Element {
  return onlyChild(content, NS.kv, returnElement);
}

export function parseStatusResults(content: Element, returnElement: string): StatusResultaat[] {
  return childElements(returnList(content, returnElement), NS.kv, 'StatusResultaat').map((r) => ({
    kenmerk: kvText(r, 'kenmerk'),
    identiteitBelanghebbende: identiteit(r, 'identiteitBelanghebbende'),
    statuscode: kvText(r, 'statuscode'),
    tijdstempelStatus: kvText(r, 'tijdstempelStatus'),
    statusomschrijving: kvText(r, 'statusomschrijving'),
    statusFoutcode: fout(r, 'statusFoutcode'),
    statusdetails: kvRaw(r, 'statusdetails'),
  }));
}

export function parseProcesResults(content: Element, returnElement: string): ProcesResultaat[] {
  return childElements(returnList(content, returnElement), NS.kv, 'ProcesResultaat').map((r) => ({
    kenmerk: kvText(r, 'kenmerk'),
    berichtsoort: kvText(r, 'berichtsoort'),
    identiteitBelanghebbende: identiteit(r, 'identiteitBelanghebbende'),
    identiteitOntvanger: optionalIdentiteit(r, 'identiteitOntvanger'),
  }));
}

export function parseBerichtsoorten(content: Element, returnElement: string): string[] {
  return childElements(returnList(content, returnElement), NS.kv, 'berichtsoort').map((el) => collapsed(textOf(el)));
}
