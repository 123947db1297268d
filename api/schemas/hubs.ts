import { Type, type Static } from '@sinclair/typebox';
import { FILING_KIND_NAMES } from '../../domain/kinds';

export const Participant = Type.String({ pattern: '^[0-9]{5}$', description: 'The five-digit participant number (A8).' });
export const HubParams = Type.Object({ participant: Participant });

export const HubSchema = Type.Object({
  id: Type.String(),
  environmentCode: Type.String(),
  participantNumber: Type.String(),
  name: Type.String(),
  sendReceiveIntervalSeconds: Type.Integer(),
  connectorAllowlist: Type.Array(Type.String()),
  certificateMode: Type.Union([Type.Literal('own'), Type.Literal('service-provider')]),
  portalEnabled: Type.Boolean(),
  accountantEmail: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const OrganisationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  obNumber: Type.Union([Type.String(), Type.Null()]),
  kvkNumber: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const AdministrationSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  organisationId: Type.Union([Type.String(), Type.Null()]),
  callbackUrl: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const StatusEventSchema = Type.Object({
  statuscode: Type.String(),
  statusomschrijving: Type.String(),
  tijdstempelStatus: Type.String({ format: 'date-time' }),
  foutcode: Type.Union([Type.String(), Type.Null()]),
  foutbeschrijving: Type.Union([Type.String(), Type.Null()]),
  hasDetails: Type.Boolean(),
  kenmerk: Type.String({ description: 'The Digipoort process the status belongs to.' }),
  attempt: Type.Union([Type.Integer(), Type.Null()], { description: 'The aanleveren attempt that made that process (H5).' }),
});

/** One aanleveren attempt of a message: every attempt is a record of its own. */
export const SubmissionAttemptSchema = Type.Object({
  attempt: Type.Integer(),
  aanleverkenmerk: Type.String(),
  kenmerk: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  outcome: Type.Union([
    Type.Literal('sent'), Type.Literal('adopted'), Type.Literal('refused'), Type.Literal('not-sent'), Type.Literal('absent'), Type.Literal('abandoned'), Type.Null(),
  ], { description: 'null while the attempt is in flight (or waits for a person: inDoubtReason).' }),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  certificateId: Type.Union([Type.String(), Type.Null()]),
  senderIdentity: Type.String(),
  detail: Type.Union([Type.String(), Type.Null()]),
  inDoubtReason: Type.Union([Type.String(), Type.Null()]),
});

export const AttachmentSchema = Type.Object({
  id: Type.String(),
  direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')]),
  filename: Type.String(),
  mimeType: Type.String(),
  size: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Outgoing (H14): when it went to the authority with the filing (berichtBijlagen); null while not, or when the receiving process takes none.',
  }),
});

/** A message as staff see it: lifecycle with its label, raw Digipoort codes beside it. */
export const MessageSchema = Type.Object({
  id: Type.String(),
  number: Type.Union([Type.Integer(), Type.Null()]),
  direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')]),
  subtype: Type.Union([Type.Literal('ONB'), Type.Null()]),
  kind: Type.String(),
  berichtsoort: Type.String(),
  period: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  lifecycle: Type.Union([Type.Integer(), Type.Null()]),
  lifecycleLabel: Type.Union([Type.String(), Type.Null()]),
  digipoortStatus: Type.Union([Type.String(), Type.Null()]),
  deliveryState: Type.String(),
  doNotSend: Type.Boolean(),
  approvalRequired: Type.Boolean(),
  administrationId: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.Union([Type.String(), Type.Null()]),
  identityNumber: Type.String(),
  kenmerk: Type.Union([Type.String(), Type.Null()]),
  aanleverkenmerk: Type.Union([Type.String(), Type.Null()]),
  submittedAt: Type.Union([Type.String(), Type.Null()]),
  certificateId: Type.Union([Type.String(), Type.Null()]),
  workflowId: Type.Union([Type.String(), Type.Null()]),
  needsActionReason: Type.Union([Type.String(), Type.Null()]),
  resolution: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastStatusChangeAt: Type.String({ format: 'date-time' }),
  dueDate: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
  reminderState: Type.Union([Type.String(), Type.Null()]),
});
export type MessageView = Static<typeof MessageSchema>;

export const FilingDetailSchema = Type.Composite([
  MessageSchema,
  Type.Object({
    statuses: Type.Array(StatusEventSchema),
    attempts: Type.Array(SubmissionAttemptSchema),
    attachments: Type.Array(AttachmentSchema),
    versions: Type.Array(Type.Object({ number: Type.Integer(), version: Type.Integer(), lifecycle: Type.Union([Type.Integer(), Type.Null()]), deliveryState: Type.String(), doNotSend: Type.Boolean() })),
    decisions: Type.Array(
      Type.Object({
        decision: Type.Union([Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('adopted')]),
        reason: Type.Union([Type.String(), Type.Null()]),
        contentSha256: Type.String({ description: 'The content the decision was bound to (A1).' }),
        decidedVia: Type.Union([Type.Literal('portal'), Type.Literal('operator')]),
        contactPerson: Type.Union([Type.String(), Type.Null()]),
        decidedAt: Type.String({ format: 'date-time' }),
      }),
      { description: "The client's decisions in the portal (or an operator's on the client's behalf), oldest first." },
    ),
  }),
]);

const Amount = Type.Union([Type.String({ maxLength: 20 }), Type.Number()], { description: 'Euros, e.g. "1234.56".' });

/** A filing as an administration (or staff on its behalf) prepares it. */
export const FilingRequestSchema = Type.Object(
  {
    kind: Type.String({ description: `${FILING_KIND_NAMES.join(', ')} (e-invoice is refused: H16)` }),
    period: Type.String({ description: 'The tax period: 2026-03 (month), 2026-Q1 (quarter) or 2026 (year).', maxLength: 7 }),
    obNumber: Type.Optional(Type.String({ maxLength: 20 })),
    kvkNumber: Type.Optional(Type.String({ maxLength: 12 })),
    contact: Type.Optional(
      Type.Object({
        initials: Type.String({ maxLength: 10 }),
        prefix: Type.Optional(Type.String({ maxLength: 10 })),
        surname: Type.String({ maxLength: 200 }),
        telephone: Type.String({ maxLength: 14 }),
      }),
    ),
    figures: Type.Optional(
      Type.Object({
        turnover: Type.Optional(Type.Record(Type.String(), Amount)),
        vat: Type.Optional(Type.Record(Type.String(), Amount)),
        inputTax: Type.Optional(Amount),
      }),
    ),
    alreadyDeclared: Type.Optional(Amount),
    icpLines: Type.Optional(
      Type.Array(
        Type.Object({ countryCode: Type.String({ maxLength: 2 }), vatNumber: Type.String({ maxLength: 20 }), category: Type.String(), amount: Amount }),
        { maxItems: 10000 },
      ),
    ),
    instance: Type.Optional(Type.String({ description: 'A ready XBRL instance instead of figures, at most 20 MiB (20,971,520 characters).' })),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            filename: Type.String({ minLength: 1, maxLength: 80 }),
            mimeType: Type.String({ minLength: 3, maxLength: 255 }),
            content: Type.String({ maxLength: 7 * 1024 * 1024, description: 'The file in base64 (at most 5 MiB decoded).' }),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 10,
          description:
            'H14: files that go with the filing: kept with the message (downloadable) and sent as berichtBijlagen where the receiving process takes them (KvK); the tax authority takes none with these message types.',
        },
      ),
    ),
    document: Type.Optional(
      Type.Object(
        {
          legalEntityName: Type.String({ maxLength: 1000 }),
          legalForm: Type.String({ maxLength: 200 }),
          registeredOffice: Type.String({ maxLength: 200 }),
          financialYear: Type.Object({ start: Type.String({ maxLength: 10 }), end: Type.String({ maxLength: 10 }) }),
          previousYear: Type.Optional(Type.Object({ start: Type.String({ maxLength: 10 }), end: Type.String({ maxLength: 10 }) })),
          sizeClass: Type.String({ description: 'micro or klein (K1)', maxLength: 20 }),
          title: Type.Optional(Type.String({ maxLength: 1000 })),
          adoptionDate: Type.Optional(Type.String({ maxLength: 10, description: 'K2: the date of adoption (datum vaststelling).' })),
          signedBy: Type.Optional(
            Type.Object({
              name: Type.Optional(Type.String({ maxLength: 200 })),
              role: Type.Optional(Type.String({ description: 'director or commissioner (K2)', maxLength: 20 })),
              date: Type.Optional(Type.String({ maxLength: 10 })),
            }),
          ),
          resubmission: Type.Optional(
            Type.Boolean({
              description:
                'K4: a second deposit of a year already deposited, because of insurmountable inaccuracies (kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies "Ja", written when the client adopts).',
            }),
          ),
        },
        { description: 'KvK annual report: the document information from which the hub builds it, or that goes with a ready instance.' },
      ),
    ),
  },
  { additionalProperties: false },
);
