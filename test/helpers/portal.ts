import { SMTPServer } from 'smtp-server';
import type { FilingKind } from '../../domain/filings';
import { call, type Api, type TestHub } from './hub';

/** The hub files with its own certificate, has the portal on, and the given message types go through approval. */
export async function enablePortal(api: Api, hub: TestHub, kinds: FilingKind[], accountantEmail = 'accountant@firm.test'): Promise<void> {
  const patched = await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { portalEnabled: true, accountantEmail });
  if (patched.statusCode !== 200) throw new Error(`portal: ${patched.statusCode} ${patched.body}`);
  for (const kind of kinds) {
    const set = await call(api, 'PUT', `/api/hubs/${hub.participant}/message-types/${kind}`, { blocked: false, approvalWorkflow: 'portal' });
    if (set.statusCode !== 200) throw new Error(`message type ${kind}: ${set.statusCode} ${set.body}`);
  }
}

export async function addContactPerson(api: Api, hub: TestHub, organisationId: string, name: string, email: string): Promise<string> {
  const res = await call(api, 'POST', `/api/hubs/${hub.participant}/organisations/${organisationId}/contact-persons`, { name, email });
  if (res.statusCode !== 201) throw new Error(`contact person: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

export async function portalLink(api: Api, hub: TestHub, contactPersonId: string): Promise<{ token: string; link: string }> {
  const res = await call(api, 'POST', `/api/hubs/${hub.participant}/contact-persons/${contactPersonId}/portal-tokens`, {});
  if (res.statusCode !== 201) throw new Error(`portal token: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Redeems a login token like the login page's form does; the session cookie, or undefined when refused. */
export async function redeem(api: Api, token: string): Promise<{ status: number; cookie?: string; body: string }> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/portal/session',
    payload: `token=${encodeURIComponent(token)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const session = res.cookies.find((c) => c.name === 'fh_portal');
  return { status: res.statusCode, cookie: session ? `fh_portal=${session.value}` : undefined, body: res.body };
}

export async function portalLogin(api: Api, hub: TestHub, contactPersonId: string): Promise<string> {
  const { token } = await portalLink(api, hub, contactPersonId);
  const { cookie, status, body } = await redeem(api, token);
  if (!cookie) throw new Error(`login: ${status} ${body}`);
  return cookie;
}

export async function portalGet(api: Api, cookie: string, url: string) {
  return api.app.inject({ method: 'GET', url, headers: { cookie } });
}

/** The hidden fields of the page's decision forms: what the client's browser posts back. */
export function formFields(html: string): { csrf: string; contentSha256: string } {
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const contentSha256 = /name="contentSha256" value="([^"]*)"/.exec(html)?.[1];
  if (!csrf || contentSha256 === undefined) throw new Error('the page has no decision form');
  return { csrf, contentSha256 };
}

export async function postDecision(
  api: Api,
  cookie: string,
  filingId: string,
  fields: { csrf: string; contentSha256: string; decision: string; reason?: string },
) {
  return api.app.inject({
    method: 'POST',
    url: `/portal/filings/${filingId}/decision`,
    payload: new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== undefined) as [string, string][]).toString(),
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** Opens the filing page and posts the decision with the page's own fields (optionally overridden). */
export async function decideInPortal(api: Api, cookie: string, filingId: string, decision: string, extra: { reason?: string; contentSha256?: string } = {}) {
  const page = await portalGet(api, cookie, `/portal/filings/${filingId}`);
  if (page.statusCode !== 200) throw new Error(`filing page: ${page.statusCode}`);
  const fields = formFields(page.body);
  return postDecision(api, cookie, filingId, { ...fields, decision, ...extra });
}

/** Polls the staff API until the filing's lifecycle is one of `lifecycles`. */
export async function waitForLifecycle(api: Api, hub: TestHub, number: number, lifecycles: number[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const filing = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json();
    if (lifecycles.includes(filing.lifecycle)) return filing;
    if (Date.now() > deadline) throw new Error(`filing ${number} stayed at ${filing.lifecycle}, expected ${lifecycles.join('/')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** The raw message with folded header lines and quoted-printable soft breaks undone, for text searches. */
  text: string;
}

/** A real SMTP server on 127.0.0.1 that keeps every mail it receives (the product's mailer talks SMTP to it). */
export async function smtpSink(): Promise<{ url: string; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text: raw.replace(/\r?\n[ \t]+/g, ' ').replace(/=\r?\n/g, '').replace(/=3D/g, '='),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A KvK annual report request (document information, K2 data set) for the hub's organisation. */
export function kvkRequest(hub: TestHub, year: number, overrides: Record<string, unknown> = {}) {
  return {
    kind: 'kvk-annual-report',
    period: String(year),
    kvkNumber: hub.kvkNumber,
    contact: { initials: 'J', surname: 'Jansen', telephone: '0201234567' },
    document: {
      legalEntityName: `Klant ${hub.kvkNumber} B.V.`,
      legalForm: 'Besloten vennootschap',
      registeredOffice: 'Utrecht',
      financialYear: { start: `${year}-01-01`, end: `${year}-12-31` },
      sizeClass: 'micro',
      adoptionDate: `${year + 1}-05-20`,
      signedBy: { name: 'P. de Vries', role: 'director', date: `${year + 1}-05-20` },
      ...overrides,
    },
  };
}
