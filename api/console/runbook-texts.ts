import { RUNBOOK_STEPS, type RunbookNotice, type RunbookStepKey } from '../../domain/runbooks';
import type { Words } from '../i18n';
import type { Dictionary } from '../i18n/nl';
import { ruleText, sayAgain, type SayContext, type TextNames, type TextRule } from './say-again';

/**
 * The runbook's texts in the page's language. The domain and the workflow keep their English texts (the Temporal Web
 * UI's checklist, the JSON API, the stored read model); the console says them again from the step keys, the counts
 * and the plan's notice codes, and recognises the step details and reasons by their patterns (ids become names).
 */

/** A text to show: `lang` 'en' when it could not be said in the page's (Dutch) language and is shown as stored. */
export interface ShownText {
  text: string;
  lang?: 'en';
}

const shown = (translated: string | undefined, stored: string, words: Words): ShownText =>
  translated !== undefined ? { text: translated } : words.lang === 'en' ? { text: stored } : { text: stored, lang: 'en' };

const STEP_BY_TITLE = new Map<string, RunbookStepKey>(Object.values(RUNBOOK_STEPS).flatMap((steps) => steps.map((s) => [s.title, s.key] as [string, RunbookStepKey])));
export const stepNameKey = (key: string): keyof Dictionary => `step_${key.replace(/-/g, '_')}` as keyof Dictionary;

const DETAILS: TextRule[] = [
  { key: 'rbDetail_switchedOn', pattern: /^several certificates switched on$/ },
  {
    key: 'rbDetail_installed',
    pattern: /^(?<list>".+) installed$/s,
    values: (g, { words }) => ({ list: (g.list ?? '').replace(/" in group "/g, `" ${words.t.rbInGroup} "`) }),
  },
  { key: 'rbDetail_work', pattern: /^work certificate (?<certificate>\S+)$/ },
  { key: 'rbDetail_rb4Work', pattern: /^new work certificate set; (?<count>\d+) open mandate\(s\) continue under the new certificate$/ },
  { key: 'rbDetail_rb4Group', pattern: /^group "(?<group>[^"]*)" set; (?<count>\d+) open mandate\(s\) continue under the new certificate$/ },
  { key: 'rbDetail_newIsWork', pattern: /^the new certificate is the work certificate$/ },
  { key: 'rbDetail_newInGroup', pattern: /^the new certificate is in group "(?<group>.*)"$/s },
  { key: 'rbDetail_becons', pattern: /^(?<count>\d+) Becon\(s\) set$/ },
  { key: 'rbDetail_noBecons', pattern: /^no Becon changes$/ },
  { key: 'rbDetail_clientBecons', pattern: /^(?<years>\d+) master-data year\(s\) set; (?<clients>\d+) affected client\(s\) checked$/ },
  { key: 'rbDetail_deleted', pattern: /^certificate (?<certificate>\S+) deleted$/ },
  { key: 'rbDetail_revoked', pattern: /^(?<count>\d+) mandate\(s\) revoked$/ },
  { key: 'rbDetail_requested', pattern: /^(?<count>\d+) mandate\(s\) requested$/ },
  { key: 'rbDetail_progress_revoked', pattern: /^(?<done>\d+) of (?<total>\d+) mandate\(s\) revoked$/ },
  { key: 'rbDetail_progress_requested', pattern: /^(?<done>\d+) of (?<total>\d+) mandate\(s\) requested$/ },
];

const REASONS: TextRule[] = [
  {
    key: 'rbReason_stepFailed',
    pattern: /^step (?<number>\d+) \((?<title>.+?)\) failed: (?<reason>.*)$/s,
    values: (g, context) => {
      const step = STEP_BY_TITLE.get(g.title ?? '');
      const reason = sayReason(g.reason ?? '', context);
      return step && reason !== undefined ? { number: g.number ?? '', title: context.words.t[stepNameKey(step)], reason } : undefined;
    },
  },
  { key: 'rbReason_cancelledBefore', pattern: /^cancelled before step (?<number>\d+); the steps before it are done$/ },
  { key: 'rbReason_cancelledNothing', pattern: /^cancelled before anything changed$/ },
  {
    key: 'rbReason_pending',
    pattern: /^(?<count>\d+) mandate\(s\) still on their way(?:: (?<why>.*))?$/s,
    values: (g, context) => {
      if (g.why === undefined) return { count: g.count ?? '', why: '' };
      const why = sayReason(g.why, context);
      return why === undefined ? undefined : { count: g.count ?? '', why: `: ${why}` };
    },
  },
  { key: 'rbReason_unavailable', pattern: /^Digipoort unavailable for (?<count>\d+) of them \(.*\); retrying$/s },
  { key: 'rbReason_failed_revocation', pattern: /^(?<count>\d+) revocation\(s\) failed: /s },
  { key: 'rbReason_failed_request', pattern: /^(?<count>\d+) request\(s\) failed: /s },
  { key: 'rbReason_locked', pattern: /^RB\d: certificate (?<certificate>\S+) is in runbook \S+; one runbook per certificate at a time$/ },
  { key: 'rbReason_groupMissing', pattern: /^certificate group "(?<group>.*)" does not exist$/s },
  { key: 'rbReason_noWork', pattern: /^the plan names no work certificate$/ },
  {
    key: 'rbReason_rule',
    pattern: /^(?<rule>[A-Z]{1,2}\d{0,2}): /,
    values: (g, { words }) => {
      const text = ruleText(g.rule, words);
      return text ? { rule: g.rule ?? '', text } : undefined;
    },
  },
];

function sayReason(text: string, context: SayContext): string | undefined {
  return sayAgain(REASONS, text, context);
}

/** A step's detail (what the step did) in the page's language. */
export function stepDetail(text: string, words: Words, names: TextNames): ShownText {
  return shown(sayAgain(DETAILS, text, { words, names }), text, words);
}

/** A reason (a step failed, a runbook was cancelled or refused, a step waits) in the page's language. */
export function runbookReason(text: string, words: Words, names: TextNames): ShownText {
  return shown(sayReason(text, { words, names }), text, words);
}

/** The plan's notices, from their codes (a plan stored before the codes: its English warnings by pattern). */
export function planNotices(plan: { notices?: RunbookNotice[]; warnings: string[] }, words: Words): ShownText[] {
  if (plan.notices) return plan.notices.map((n) => ({ text: noticeText(n, words) }));
  return plan.warnings.map((w) => {
    const unused = /^"(?<label>.+)" is neither the work certificate nor in a group: the new certificate is installed but not used yet$/s.exec(w);
    if (unused) return { text: noticeText({ code: 'unused-replacement', label: unused.groups!.label! }, words) };
    if (w.startsWith('Between a revocation and the new request another intermediary could register')) return { text: noticeText({ code: 'exclusivity' }, words) };
    return shown(undefined, w, words);
  });
}

function noticeText(notice: RunbookNotice, words: Words): string {
  return notice.code === 'unused-replacement' ? words.f('rbNotice_unusedReplacement', { label: notice.label }) : words.t.rbNotice_exclusivity;
}

/** The runbook's own log lines (`step …`, `plan ready …`, phase changes), for the communication log. */
export const RUNBOOK_LOG_RULES: TextRule[] = [
  { key: 'rbLog_planReady', pattern: /^plan ready: (?<revoke>\d+) mandate\(s\) to revoke, (?<request>\d+) to request, (?<letters>\d+) letter name\(s\) change; waiting for confirmation$/ },
  {
    key: 'rbLog_step',
    pattern: /^step (?<step>[a-z-]+): (?<detail>.*)$/s,
    values: (g, context) => {
      const detail = sayAgain(DETAILS, g.detail ?? '', context);
      const step = (context.words.t as Record<string, string>)[stepNameKey(g.step ?? '')];
      return detail !== undefined && step ? { step, detail } : undefined;
    },
  },
  {
    key: 'rbLog_phase',
    pattern: /^(?<from>[a-z-]+) → (?<to>[a-z-]+)(?:: (?<reason>.*))?$/s,
    values: (g, context) => {
      const t = context.words.t as Record<string, string>;
      const from = t[`phase_${g.from}`];
      const to = t[`phase_${g.to}`];
      const reason = g.reason === undefined ? '' : sayReason(g.reason, context);
      return from && to && reason !== undefined ? { from, to, reason: reason ? `: ${reason}` : '' } : undefined;
    },
  },
  { key: 'rbLog_plannedOther', pattern: /^mandate of client (?<client>\S+): planned certificate (?<planned>\S+), chosen (?<chosen>\S+) \(master data changed since the plan\)$/ },
];
