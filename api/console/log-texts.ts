import { FILING_KINDS } from '../../domain/kinds';
import type { LogEntry } from '../../db/repositories/communication-log';
import type { Words } from '../i18n';
import type { Dictionary } from '../i18n/nl';

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
export function translateLog(entry: Pick<LogEntry, 'text' | 'procedureStep'>, words: Words): { translated?: string; stepName?: string } {
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
  return { stepName };
}
