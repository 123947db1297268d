import { FILING_KINDS } from '../../domain/kinds';
import type { LogEntry } from '../../db/repositories/communication-log';
import type { Words } from '../i18n';
import type { Dictionary } from '../i18n/nl';
import { RUNBOOK_LOG_RULES, type ShownText } from './runbook-texts';
import { ruleText, sayAgain, type SayContext, type TextNames, type TextRule } from './say-again';

/**
 * The communication log is stored in English (H13: the full text, as written). The filing page shows it in the
 * page's language: each known log text is recognised by its pattern and said again through the dictionary, with its
 * values (numbers, kenmerken, names, notes) kept as they are. A text no pattern knows is shown as stored, marked
 * lang="en".
 */
interface LogPattern {
  key: keyof Dictionary;
  pattern: RegExp;
}

const KIND_BY_LABEL = new Map<string, string>(Object.entries(FILING_KINDS).map(([kind, spec]) => [spec.label, kind]));
const KIND_LABELS = [...KIND_BY_LABEL.keys()].map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

const PATTERNS: LogPattern[] = [
  { key: 'log_prepared', pattern: new RegExp(`^(?<kind>${KIND_LABELS}) (?<period>\\S+) for (?<client>.+) prepared as message (?<number>\\d+), version (?<version>\\d+) \\((?<by>[^)]*(?:\\([^)]*\\))?[^)]*)\\)$`) },
  { key: 'log_preparedNoApproval', pattern: /^prepared for sending to (?<authority>KvK|the tax authority) \(approval not required\)$/ },
  { key: 'log_reset', pattern: /^status reset by (?<by>.+): sending again \(H10\)$/ },
  { key: 'log_routedA1', pattern: /^held message routed here as message (?<number>\d+) \((?<by>.+)\); it goes to the client for approval on the portal first \(A1\)$/ },
  { key: 'log_routed', pattern: /^held message routed here as message (?<number>\d+) \((?<by>.+)\)$/ },
  { key: 'log_adopted', pattern: /^(?<by>.+) adopted Digipoort process (?<kenmerk>\S+)$/ },
  { key: 'log_resendAllowed', pattern: /^(?<by>.+) allowed a resend$/ },
  { key: 'log_remindedBefore', pattern: /^client reminded (?<days>\d+) days before the due date (?<due>\S+)$/ },
  { key: 'log_remindedBy', pattern: /^client reminded by (?<by>.+): (?<count>\d+) e-mails? queued$/ },
  { key: 'log_handled', pattern: /^lifecycle (?<lifecycle>40|90) marked as handled by (?<by>.+?): (?<note>.*)$/s },
  { key: 'log_rejectedByClient', pattern: /^40: rejected by (?<by>.+?): (?<reason>.*)$/s },
  { key: 'log_approvedByClient', pattern: /^50: .+ \(approved by (?<by>.+)\)$/ },
  { key: 'log_refusedByAuthority', pattern: /^lifecycle (?<from>\d+|null) → 90 \(Digipoort (?<code>\d+)\): rejected by (?<authority>KvK|the tax authority)(?: \((?<reason>.*)\))?; final, a new filing must be created and submitted$/s },
  { key: 'log_lifecycle', pattern: /^lifecycle (?<from>\d+|null) → (?<to>\d+) \(Digipoort (?<code>\d+)\)$/ },
  { key: 'log_callbackDelivered', pattern: /^status (?<lifecycle>\d+) delivered to the administration$/ },
  { key: 'log_portalSent', pattern: /^10: sent to the portal$/ },
  { key: 'log_portalProcessed', pattern: /^20: processed in the portal$/ },
  { key: 'log_portalOffered', pattern: /^30: offered to the client for review \(due (?<due>\S+)\)$/ },
  { key: 'log_submittedSent', pattern: /^sent: kenmerk (?<kenmerk>\S+), received by Digipoort at (?<at>\S+)$/ },
  { key: 'log_submittedAlready', pattern: /^already-sent: kenmerk (?<kenmerk>\S+), received by Digipoort at (?<at>\S+)$/ },
  { key: 'log_submittedAdopted', pattern: /^adopted: kenmerk (?<kenmerk>\S+), received by Digipoort at (?<at>\S+)$/ },
  { key: 'log_escalatedNoEmail', pattern: /^escalated to the accountant \(no accountant e-mail set for the hub\): not approved (?<days>\d+) day\(s\) before the due date (?<due>\S+)$/ },
  { key: 'log_escalated', pattern: /^escalated to the accountant \((?<to>[^)]+)\): not approved (?<days>\d+) day\(s\) before the due date (?<due>\S+)$/ },
  { key: 'log_adoptedAccounts', pattern: /^K3: annual accounts adopted by (?<by>.+) \(adopted on (?<date>\S+)\); awaiting the final approval$/ },
  { key: 'log_adoptedConfirmed', pattern: /^K3: annual accounts adopted, confirmed by (?<by>.+); awaiting the final approval$/ },
  { key: 'log_onbResolved', pattern: /^ONB message resolved by (?<by>.+?): (?<note>.*)$/s },
];

const HINTS: [string, keyof Dictionary][] = [
  ['H13: check which certificate was used and that it is known at the service provider', 'log_hintCertificate'],
  ['H13: problem at the receiver: retry later (Digipoort retries delivery for 72 hours by itself; do not resend while it does)', 'log_hintReceiver420'],
  ['H13: problem at the receiver: retry later', 'log_hintReceiver'],
];

const MANDATE_TEXTS: TextRule[] = [
  {
    key: 'log_mandateState',
    pattern: /^(?<from>[A-Z]+) → (?<to>[A-Z]+)(?: \((?<reason>.*)\))?$/s,
    values: (g, { words }) => {
      const t = words.t as Record<string, string>;
      const from = t[`mandate_${g.from}`];
      const to = t[`mandate_${g.to}`];
      return from && to ? { from, to, reason: g.reason ? ` (${g.reason})` : '' } : undefined;
    },
  },
  { key: 'log_mandateRevokeFailed', pattern: /^revocation failed: (?<reason>.*)$/s },
  { key: 'log_mandateActivationRefused', pattern: /^activation code not accepted: (?<reason>.*)$/s },
];

const MANDATE_MORE: TextRule[] = [
  { key: 'log_mandateSent', pattern: /^(?<berichtsoort>\S+) (?:sent to Digipoort|already-sent|adopted[^:]*): kenmerk (?<kenmerk>\S+) \((?<attempt>[^)]*)\)$/ },
  { key: 'log_mandateUnchecked', pattern: /^the state could not be checked \(the mandate stays (?<state>[A-Z]+)\): (?<problem>.*)$/s },
];
MANDATE_TEXTS.push(...MANDATE_MORE);

const VIA_TEXTS: TextRule[] = [
  { key: 'log_viaFailed', pattern: /^failed: (?<reason>.*)$/s },
  { key: 'log_viaSent', pattern: /^(?<berichtsoort>\S+) sent to Digipoort: kenmerk (?<kenmerk>\S+) \((?<attempt>[^)]*)\)$/ },
  { key: 'log_viaUnclear', pattern: /^attempt (?<attempt>\S+) got no clear answer \((?<reason>.*)\): asking again$/s },
  { key: 'log_viaLookLater', pattern: /^the answer could not be looked for \(asked again later\): (?<problem>.*)$/s },
  { key: 'log_viaLookAgain', pattern: /^the answer can be looked for again$/ },
  { key: 'log_viaStored', pattern: /^pre-filled data retrieved and stored as version (?<version>\d+) \((?<employers>\d+) employer\(s\), (?<accounts>\d+) bank account\(s\)\)$/ },
  { key: 'log_viaRefused', pattern: /^refused by the tax authority: (?<code>[^:]+): (?<reason>.*)$/s },
];

const CERTIFICATE_PROPOSAL = /^run (?<kind>RB4|RB5) with the installed certificate (?<name>".*" \(KvK [^)]*\)), valid to (?<validTo>\S+), id \S+(?<rb5>: its KvK number differs, so the mandates are revoked and requested again)?$/s;
const NO_PROPOSAL = 'install the new certificate, then run RB4 (same KvK number) or RB5 (the same firm under a new KvK number)';

function proposalOf(text: string | undefined, words: Words): string | undefined {
  if (text === NO_PROPOSAL) return words.t.log_certificateProposalNone;
  const match = text ? CERTIFICATE_PROPOSAL.exec(text) : null;
  if (!match) return undefined;
  const g = match.groups!;
  return words.f('log_certificateProposal', { kind: g.kind!, name: g.name!, validTo: g.validTo! }) + (g.rb5 ? words.t.log_certificateProposalRb5 : '');
}

/** Texts beyond the filing's own: signing, lanes, retries, callbacks, Digipoort statuses, mandates, VIA, runbooks, certificates. */
const MORE: TextRule[] = [
  {
    key: 'log_submittedAttempt',
    pattern: /^attempt (?<attempt>\S+) sent to Digipoort(?: with (?<count>\d+) attachments? \(berichtBijlagen\))?: kenmerk (?<kenmerk>\S+), received by Digipoort at (?<at>\S+)$/,
    values: (g, { words }) => ({ attempt: g.attempt!, attachments: g.count ? words.f('log_withAttachments', { count: g.count }) : '', kenmerk: g.kenmerk!, at: g.at! }),
  },
  { key: 'log_submittedReconciled', pattern: /^attempt (?<attempt>\S+) reconciled after an ambiguous outcome, process adopted: kenmerk (?<kenmerk>\S+), received by Digipoort at (?<at>\S+)$/ },
  {
    key: 'log_signed',
    pattern: /^signed with certificate (?<certificate>\S+) \((?<via>work|group|service-provider)(?: group "(?<group>[^"]*)")?(?:, Becon (?<becon>\d+))?\) as (?<role>\S+)$/,
    values: (g, { words }) => ({
      certificate: g.certificate ?? '',
      via: (words.t as Record<string, string>)[`via_${g.via}`] ?? g.via ?? '',
      group: g.group !== undefined ? ` "${g.group}"` : '',
      becon: g.becon !== undefined ? `, Becon ${g.becon}` : '',
      role: g.role ?? '',
    }),
  },
  {
    key: 'log_waitingTurn',
    pattern: /^waiting its turn: (?:message (?<number>\d+)|(?<mandate>a mandate message)|another message) \(attempt (?<kenmerk>\S+), since (?<since>\S+)\) (?<state>waits for a person to resolve its ambiguous submission|is between its intent and its outcome)$/,
    values: (g, { words }) => ({
      who: g.number ? words.f('log_waitingTurn_message', { number: g.number }) : g.mandate ? words.t.log_waitingTurn_mandate : words.t.log_waitingTurn_other,
      kenmerk: g.kenmerk ?? '',
      since: words.dateTime(g.since ?? null),
      state: g.state?.startsWith('waits') ? words.t.log_waitingTurn_inDoubt : words.t.log_waitingTurn_between,
    }),
  },
  { key: 'log_ambiguous', pattern: /^attempt (?<kenmerk>\S+): ambiguous outcome, reconciling before any resend: (?<reason>.*)$/s },
  { key: 'log_needsPerson', pattern: /^attempt (?<kenmerk>\S+) cannot be settled without a person: (?<reason>.*); adopt its Digipoort process or allow a resend \(POST [^)]*\)$/s },
  { key: 'log_attemptRetrying', pattern: /^attempt (?<kenmerk>\S+) (?<reason>.*); retrying$/s },
  { key: 'log_absentResend', pattern: /^no Digipoort process for attempt (?<kenmerk>\S+) after (?<seconds>\d+) s: sending again as (?<next>\S+)$/ },
  { key: 'log_followUpStopped', pattern: /^status follow-up stopped \((?<why>.*)\): the hub's send\/receive receives the statuses$/s },
  { key: 'log_contentChanged', pattern: /^the stored content does not match its hash: not sent$/ },
  { key: 'log_callbackFailed', pattern: /^status (?<lifecycle>\d+) not delivered to the administration: (?<reason>.*); retrying$/s },
  { key: 'log_callbackRefused', pattern: /^status (?<lifecycle>\d+) not accepted by the administration \(HTTP (?<http>\d+)\); retrying$/ },
  { key: 'log_decisionIgnored', pattern: /^decision ignored: (?<problem>.*)$/s },
  { key: 'log_decisionNotTaken', pattern: /^decision not taken: (?<problem>.*)$/s },
  { key: 'log_rejectionMail', pattern: /^rejection: e-mail to the accountant \((?<to>[^)]+)\) queued$/ },
  { key: 'log_rejectionNoMail', pattern: /^rejection: no e-mail, no accountant e-mail set for the hub$/ },
  {
    // Digipoort's own status text (Dutch) is kept; the H13 hint is said again.
    key: 'log_digipoortStatus',
    pattern: /^Digipoort (?<code>\d{3}) (?<text>.*)$/s,
    values: (g, { words }) => {
      let text = g.text ?? '';
      for (const [hint, key] of HINTS) if (text.endsWith(` — ${hint}`)) text = `${text.slice(0, -hint.length)}${words.t[key]}`;
      return { code: g.code ?? '', text };
    },
  },
  {
    key: 'log_mandate',
    pattern: /^mandate (?<service>\S+) (?<year>\d{4})(?<continuing> \(continuing\))? of client (?<client>\S+): (?<text>.*)$/s,
    values: (g, context) => {
      const text = sayAgain(MANDATE_TEXTS, g.text ?? '', context);
      return text === undefined ? undefined : { service: g.service ?? '', year: g.year ?? '', continuing: g.continuing ? context.words.t.log_mandateContinuing : '', client: g.client ?? '', text };
    },
  },
  {
    key: 'log_via',
    pattern: /^VIA (?<year>\d{4}) of client (?<client>\S+) \(retrieval \S+\): (?<text>.*)$/s,
    values: (g, context) => {
      const text = sayAgain(VIA_TEXTS, g.text ?? '', context);
      return text === undefined ? undefined : { year: g.year ?? '', client: g.client ?? '', text };
    },
  },
  {
    key: 'rbLog_prefix',
    pattern: /^runbook (?<kind>RB\d) \S+: (?<text>.*)$/s,
    values: (g, context) => {
      const text = sayAgain(RUNBOOK_LOG_RULES, g.text ?? '', context);
      return text === undefined ? undefined : { kind: g.kind ?? '', text };
    },
  },
  {
    key: 'log_certificateExpires',
    pattern: /^C7: certificate (?<name>".*" \(KvK [^)]*\)) expires in (?<days>\d+) day\(s\) \((?<validTo>\S+)\); the replacement must be in place before then: (?<proposal>.*)$/s,
    values: (g, { words }) => {
      const proposal = proposalOf(g.proposal, words);
      return proposal === undefined ? undefined : { name: g.name!, days: g.days!, validTo: g.validTo!, proposal };
    },
  },
  {
    key: 'log_certificateExpired',
    pattern: /^C7: certificate (?<name>".*" \(KvK [^)]*\)) expired on (?<validTo>\S+) and is no longer used: (?<proposal>.*)$/s,
    values: (g, { words }) => {
      const proposal = proposalOf(g.proposal, words);
      return proposal === undefined ? undefined : { name: g.name!, validTo: g.validTo!, proposal };
    },
  },
  {
    // A refusal that stopped the message (e.g. no certificate to sign with): the rule's own text, when the dictionary has it.
    key: 'log_rule',
    pattern: /^(?<rule>[A-Z]{1,2}\d{1,2}): /,
    values: (g, { words }) => {
      const text = ruleText(g.rule, words);
      return text && words.lang !== 'en' ? { rule: g.rule!, text } : undefined;
    },
  },
];

/** The send/receive summary and the reasons a message needs action (H12, ONB, an ambiguous submission). */
const REASONS: TextRule[] = [
  {
    key: 'log_sendReceiveSummary',
    pattern: /^send\/receive \((?<trigger>schedule|api)\): (?<started>\d+) started, (?<changes>\d+) status changes, (?<unknown>\d+) unknown return messages$/,
    values: (g, { words }) => ({ trigger: g.trigger === 'api' ? words.t.trigger_api : words.t.trigger_schedule, started: g.started!, changes: g.changes!, unknown: g.unknown! }),
  },
  { key: 'reason_ambiguous', pattern: /^ambiguous submission: (?<reason>.*)$/s },
  { key: 'reason_hubGone', pattern: /^H12: hub (?<hub>\d+) cannot be found; route this message to another hub or resolve it automatically$/ },
  { key: 'reason_onb', pattern: /^ONB: a return message that matches no sent message; a person must resolve it$/ },
];

const STEP_KEYS: Record<string, keyof Dictionary> = {
  'prepare message': 'step_prepare_message',
  'send message': 'step_send_message',
  'process message': 'step_process_message',
  receive: 'step_receive',
  'send-receive': 'step_send_receive',
  reconcile: 'step_reconcile',
  callback: 'step_callback',
  reset: 'step_reset',
  cleanup: 'step_cleanup',
  'route message': 'step_route_message',
  certificate: 'step_certificate',
};

/** A log line in the page's language: `text` translated (undefined: shown as stored, in English), and the step's name. */
export function translateLog(entry: Pick<LogEntry, 'text' | 'procedureStep'>, words: Words, names: TextNames = {}): { translated?: string; stepName?: string } {
  const step = STEP_KEYS[entry.procedureStep];
  const stepName = step ? words.t[step] : undefined;
  for (const { key, pattern } of PATTERNS) {
    const match = pattern.exec(entry.text);
    if (!match) continue;
    const values: Record<string, string> = { ...(match.groups ?? {}) };
    if (values.kind) values.kind = words.kindName(KIND_BY_LABEL.get(values.kind) ?? values.kind);
    if (values.authority) values.authority = values.authority === 'KvK' ? 'KvK' : words.t.taxAuthority;
    if (key === 'log_refusedByAuthority') values.reason = values.reason ? ` (${values.reason})` : '';
    return { translated: words.f(key, values), stepName };
  }
  const context: SayContext = { words, names };
  const translated = sayAgain(MORE, entry.text, context);
  return translated === undefined ? { stepName } : { translated, stepName };
}

/** Any stored log text or reason, for a page that shows one without its log entry (send/receive, needs action). */
export function shownText(text: string, words: Words, names: TextNames = {}): ShownText {
  const translated = translateLog({ text, procedureStep: '' }, words, names).translated ?? sayAgain(REASONS, text, { words, names });
  return translated !== undefined ? { text: translated } : words.lang === 'en' ? { text } : { text, lang: 'en' };
}
