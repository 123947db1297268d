import { lifecycleLabel, LIFECYCLE, type LifecycleCode } from '../../domain/lifecycle';
import { findKind } from '../../domain/kinds';
import { authorityOf } from '../services/views';
import { en } from './en';
import { nl, type Dictionary } from './nl';

export type Language = 'nl' | 'en';
export const LANGUAGES: readonly Language[] = ['nl', 'en'];
export const DEFAULT_LANGUAGE: Language = 'nl';
const DICTIONARIES: Record<Language, Dictionary> = { nl, en };

export function isLanguage(value: unknown): value is Language {
  return value === 'nl' || value === 'en';
}

/** What a template needs to speak one language: the dictionary and the few words built from domain data. */
export interface Words {
  lang: Language;
  t: Dictionary;
  /** A dictionary text with `{name}` placeholders filled in. */
  f: (key: keyof Dictionary, values: Record<string, string | number>) => string;
  kindName: (kind: string) => string;
  lifecycleName: (code: number | null, kind: string, approvalRequired: boolean) => string;
  deliveryName: (state: string) => string;
  dateTime: (iso: string | Date | null) => string;
  date: (iso: string | Date | null) => string;
}

export function wordsFor(lang: Language): Words {
  const t = DICTIONARIES[lang];
  const lookup = (key: string): string | undefined => (t as Record<string, string>)[key];
  const locale = lang === 'nl' ? 'nl-NL' : 'en-GB';
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Amsterdam' });
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'Europe/Amsterdam' });
  return {
    lang,
    t,
    f: (key, values) => String(t[key]).replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? '')),
    kindName: (kind) => lookup(`kind_${kind.replace(/-/g, '_')}`) ?? findKind(kind)?.label ?? kind,
    lifecycleName: (code, kind, approvalRequired) => {
      if (code === null || !LIFECYCLE[code as LifecycleCode]) return t.none;
      return `${code} — ${lifecycleLabel(code as LifecycleCode, authorityOf(kind), lang, approvalRequired)}`;
    },
    deliveryName: (state) => lookup(`delivery_${state}`) ?? state,
    dateTime: (iso) => (iso ? dateTime.format(new Date(iso)) : t.none),
    date: (iso) => (iso ? date.format(new Date(iso)) : t.none),
  };
}
