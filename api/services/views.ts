import { FILING_KINDS, isFilingKind } from '../../domain/filings';
import { LIFECYCLE, lifecycleLabel } from '../../domain/lifecycle';
import type { Message } from '../../db/repositories/messages';
import type { MessageView } from '../schemas/hubs';

export function authorityOf(kind: string) {
  return isFilingKind(kind) ? FILING_KINDS[kind].receiver : 'belastingdienst';
}

export function labelOf(message: Pick<Message, 'lifecycle' | 'kind' | 'approvalRequired'>): string | null {
  return message.lifecycle !== null && LIFECYCLE[message.lifecycle]
    ? lifecycleLabel(message.lifecycle, authorityOf(message.kind), 'en', message.approvalRequired)
    : null;
}

/** The staff view of a message (no content, no secrets). */
export function messageView(m: Message): MessageView {
  return {
    id: m.id,
    number: m.number,
    direction: m.direction,
    subtype: m.subtype,
    kind: m.kind,
    berichtsoort: m.berichtsoort,
    period: m.period,
    version: m.version,
    lifecycle: m.lifecycle,
    lifecycleLabel: labelOf(m),
    digipoortStatus: m.digipoortStatus,
    deliveryState: m.deliveryState,
    doNotSend: m.doNotSend,
    approvalRequired: m.approvalRequired,
    administrationId: m.administrationId,
    organisationId: m.organisationId,
    identityNumber: m.identityNumber,
    kenmerk: m.kenmerk,
    aanleverkenmerk: m.aanleverkenmerk,
    submittedAt: m.submittedAt,
    certificateId: m.certificateId,
    workflowId: m.workflowId,
    needsActionReason: m.needsActionReason,
    resolution: m.resolution,
    createdAt: m.createdAt,
    lastStatusChangeAt: m.lastStatusChangeAt,
    dueDate: m.dueDate,
    reminderState: m.reminderState,
  };
}
