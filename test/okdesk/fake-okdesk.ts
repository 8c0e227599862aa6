/**
 * A fake Okdesk REST API on 127.0.0.1, written from Okdesk's API documentation
 * (okdesk.ru/apidoc): `api_token` in the query on every call, JSON bodies wrapped as
 * `{"issue": …}` / `{"comment": …}`, errors as `{"errors": …}`.
 *
 *   GET  /api/v1/contacts/?phone=       one contact object; `{}` when none matches
 *   POST /api/v1/issues/                {"issue": {title, description, contact_id}} → issue
 *   GET  /api/v1/issues/list?contact_ids[]=  [issue, …]
 *   GET  /api/v1/issues/{id}            issue; 404 when unknown
 *   POST /api/v1/issues/{id}/comments   {"comment": {content, author_id, author_type, public}}
 *
 * Phones match on digits (8… → 7…), which is kinder than real Okdesk's exact match.
 * Switches: `failNext(n, status)` answers the next n calls with `status`; `setDown(true)`
 * answers 503 until `setDown(false)`. Every request (even refused ones) lands in `requests`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeContact { id: number; name: string; phone: string }
export interface FakeIssue {
  id: number;
  title: string;
  description: string;
  contact_id: number | null;
  status: { code: string; name: string };
  created_at: string;
}
export interface FakeRequest { method: string; path: string; query: Record<string, string | string[]>; body: unknown }

export interface FakeOkdesk {
  /** e.g. http://127.0.0.1:43121 — give `${url}/api/v1/` as OKDESK_API_URL. */
  url: string;
  token: string;
  requests: FakeRequest[];
  contacts: FakeContact[];
  issues: Map<number, FakeIssue>;
  comments: { issueId: number; body: Record<string, unknown> }[];
  addContact(c: FakeContact): void;
  /** Seed an issue directly (as if made in the Okdesk UI); returns it. */
  addIssue(i: Partial<FakeIssue> & { title: string }): FakeIssue;
  setStatus(issueId: number, code: string, name: string): void;
  failNext(n: number, status?: number): void;
  setDown(down: boolean): void;
  reset(): void;
  close(): Promise<void>;
}

const digits = (s: string): string => {
  const d = s.replace(/\D/g, '');
  return d.length === 11 && d.startsWith('8') ? `7${d.slice(1)}` : d;
};

function contactJson(c: FakeContact) {
  const [lastName = '', firstName = '', patronymic = ''] = c.name.split(' ');
  return { id: c.id, last_name: lastName, first_name: firstName, patronymic, phone: c.phone, mobile_phone: null, email: null };
}

export async function startFakeOkdesk(opts: { token?: string } = {}): Promise<FakeOkdesk> {
  const token = opts.token ?? 'okdesk-test-token';
  let nextIssueId = 1000;
  let nextCommentId = 1;
  let failures: { left: number; status: number } = { left: 0, status: 503 };
  let down = false;

  const state = {
    requests: [] as FakeRequest[],
    contacts: [] as FakeContact[],
    issues: new Map<number, FakeIssue>(),
    comments: [] as { issueId: number; body: Record<string, unknown> }[],
  };

  const newIssue = (i: Partial<FakeIssue> & { title: string }): FakeIssue => {
    const issue: FakeIssue = {
      id: i.id ?? ++nextIssueId,
      title: i.title,
      description: i.description ?? '',
      contact_id: i.contact_id ?? null,
      status: i.status ?? { code: 'opened', name: 'Открыта' },
      created_at: i.created_at ?? new Date().toISOString(),
    };
    nextIssueId = Math.max(nextIssueId, issue.id);
    state.issues.set(issue.id, issue);
    return issue;
  };

  const handle = (req: http.IncomingMessage, raw: string): [number, unknown] => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(u.searchParams.keys())) {
      const all = u.searchParams.getAll(k);
      query[k] = all.length > 1 ? all : all[0]!;
    }
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text in the log
    }
    state.requests.push({ method: req.method ?? 'GET', path: u.pathname, query, body });

    if (down) return [503, { errors: 'Service temporarily unavailable' }];
    if (failures.left > 0) {
      failures.left--;
      return [failures.status, { errors: `Injected failure ${failures.status}` }];
    }
    if (u.searchParams.get('api_token') !== token) return [401, { errors: 'Неверный ключ авторизации (api_token)' }];

    const path = u.pathname.replace(/\/+$/, '');
    const b = (body ?? {}) as Record<string, Record<string, unknown> | undefined>;

    if (req.method === 'GET' && path === '/api/v1/contacts') {
      const phone = u.searchParams.get('phone');
      const found = phone ? state.contacts.find((c) => digits(c.phone) === digits(phone)) : undefined;
      return [200, found ? contactJson(found) : {}];
    }
    if (req.method === 'POST' && path === '/api/v1/issues') {
      const i = b.issue;
      if (!i || typeof i.title !== 'string' || i.title.trim() === '') return [400, { errors: { title: ['не может быть пустым'] } }];
      const contactId = i.contact_id === undefined ? null : Number(i.contact_id);
      if (contactId !== null && !state.contacts.some((c) => c.id === contactId)) return [400, { errors: { contact_id: ['не найден'] } }];
      return [200, newIssue({ title: i.title, description: String(i.description ?? ''), contact_id: contactId })];
    }
    if (req.method === 'GET' && path === '/api/v1/issues/list') {
      const ids = u.searchParams.getAll('contact_ids[]').map(Number);
      return [200, [...state.issues.values()].filter((i) => ids.length === 0 || (i.contact_id !== null && ids.includes(i.contact_id)))];
    }
    const one = /^\/api\/v1\/issues\/(\d+)(\/comments)?$/.exec(path);
    if (one) {
      const issue = state.issues.get(Number(one[1]));
      if (!issue) return [404, { errors: 'Заявка не найдена' }];
      if (req.method === 'GET' && !one[2]) return [200, issue];
      if (req.method === 'POST' && one[2]) {
        const c = b.comment;
        if (!c || typeof c.content !== 'string' || c.content.trim() === '') return [400, { errors: { content: ['не может быть пустым'] } }];
        if (c.author_id === undefined) return [400, { errors: { author_id: ['не может быть пустым'] } }];
        state.comments.push({ issueId: issue.id, body: c });
        const id = nextCommentId++;
        return [200, { id, content: c.content, public: c.public === true, published_at: new Date().toISOString(), author: { id: c.author_id, type: c.author_type } }];
      }
    }
    return [404, { errors: `Not found: ${req.method} ${u.pathname}` }];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [status, payload] = handle(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    ...state,
    addContact: (c) => void state.contacts.push(c),
    addIssue: newIssue,
    setStatus(issueId, code, name) {
      const i = state.issues.get(issueId);
      if (!i) throw new Error(`fake Okdesk: no issue ${issueId}`);
      i.status = { code, name };
    },
    failNext(n, status = 503) {
      failures = { left: n, status };
    },
    setDown(d) {
      down = d;
    },
    reset() {
      state.requests.length = 0;
      state.contacts.length = 0;
      state.issues.clear();
      state.comments.length = 0;
      failures = { left: 0, status: 503 };
      down = false;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
