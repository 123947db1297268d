import type { Words } from '../i18n';
import type { Dictionary } from '../i18n/nl';

/**
 * Saying a stored English text again in the page's language: each known text is recognised by its pattern, its
 * values are taken out (numbers, kenmerken, names, notes stay as they are; certificate and client ids become their
 * names) and the dictionary says it again. Undefined: no pattern knows the text (the page shows it as stored).
 */
export interface TextNames {
  certificate?: (id: string) => string | undefined;
  client?: (id: string) => string | undefined;
}

export interface SayContext {
  words: Words;
  names: TextNames;
}

export interface TextRule {
  key: keyof Dictionary;
  pattern: RegExp;
  /** The values for the dictionary text; undefined: the text is not said again after all (a part no rule knows). */
  values?: (groups: Record<string, string | undefined>, context: SayContext) => Record<string, string> | undefined;
}

/** Group names whose values are ids to show by name. */
const CERTIFICATE_GROUPS = new Set(['certificate', 'planned', 'chosen']);

export function sayAgain(rules: readonly TextRule[], text: string, context: SayContext): string | undefined {
  for (const rule of rules) {
    const match = rule.pattern.exec(text);
    if (!match) continue;
    const groups: Record<string, string | undefined> = { ...(match.groups ?? {}) };
    for (const [name, value] of Object.entries(groups)) {
      if (value === undefined) continue;
      if (CERTIFICATE_GROUPS.has(name)) groups[name] = context.names.certificate?.(value) ?? value;
      if (name === 'client') groups[name] = context.names.client?.(value) ?? value;
    }
    const values = rule.values ? rule.values(groups, context) : (groups as Record<string, string>);
    if (!values) return undefined;
    return context.words.f(rule.key, values);
  }
  return undefined;
}

/** `RB4: ...`, `C4: ...`: the rule's own text from the dictionary, when it has one. */
export function ruleText(rule: string | undefined, words: Words): string | undefined {
  return rule ? (words.t as Record<string, string>)[`rule_${rule}`] : undefined;
}
