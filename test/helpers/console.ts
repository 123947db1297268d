import { randomBytes } from 'node:crypto';
import { call, type Api, type TestHub } from './hub';

/** A staff console account made through the admin API route; the password comes back once. */
export async function createConsoleAccount(api: Api, hubs: TestHub[], role: 'accountant' | 'admin' = 'accountant', name = 'Anna Accountant'): Promise<{ email: string; password: string; id: string }> {
  const email = `anna.${randomBytes(4).toString('hex')}@firm.test`;
  const res = await call(api, 'POST', '/api/staff-accounts', { email, name, hubs: hubs.map((h) => ({ participant: h.participant, role })) });
  if (res.statusCode !== 201) throw new Error(`staff account: ${res.statusCode} ${res.body}`);
  return { email, password: res.json().password, id: res.json().id };
}

/** A browser's cookies for app.inject(), kept across requests. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: { cookies: { name: string; value: string; maxAge?: number; expires?: Date }[] }): void {
    for (const c of res.cookies) {
      if (c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export async function consoleGet(api: Api, jar: CookieJar, url: string) {
  const res = await api.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } });
  jar.take(res);
  return res;
}

export async function consolePost(api: Api, jar: CookieJar, url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await api.app.inject({
    method: 'POST',
    url,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString(),
  });
  jar.take(res);
  return res;
}

/** The CSRF token of the page's forms. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1];
}

/** Signs in as a person would: opens the sign-in page, posts the form with its token. */
export async function signIn(api: Api, email: string, password: string, jar = new CookieJar()) {
  const page = await consoleGet(api, jar, '/staff/sign-in');
  const res = await consolePost(api, jar, '/staff/sign-in', { email, password, _csrf: csrfOf(page.body) });
  return { res, jar };
}
