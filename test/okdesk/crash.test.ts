/**
 * The rating request survives a crash: Okdesk's "resolved" webhook is answered 202, the
 * send-rating job is claimed and its sendMessage is on the wire (held by the proxy:
 * Telegram never answers), and the server dies with `kill -9`. A new process on the same
 * database, with a working Telegram, must send the request: once, with its five buttons.
 *
 * A real `node dist/cli.js serve` child (test/helpers/child-server.ts). SQLite: a fresh
 * file and the default job lease (a restarted SQLite server is the only worker, so it
 * must not wait for its dead predecessor's lease); PostgreSQL (DATABASE_URL=postgres://…):
 * a fresh schema and a 3 s lease, since there another live process may hold the claim.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { PG_URL, freshDatabase, type TestDb } from '../helpers/server.js';
import { adminRequest, killHard, spawnServer, tearDownRig, waitReady } from '../helpers/child-server.js';
import { freePort, sleep, until } from '../helpers/wait.js';
import { BOT_TOKEN, okdeskWebhook, ratingEnv, seedStatus, withKeyboard } from './_support.js';
import { startFakeOkdesk, type FakeOkdesk } from './fake-okdesk.js';
import { blockingProxy, startTelegram, type BlockingProxy, type TelegramEmulator } from './telegram.js';

const CHAT = 4242;
const CONTACT = 95;
const ISSUE = 7001;

let okdesk: FakeOkdesk;
let tg: TelegramEmulator;
let proxy: BlockingProxy;
let db: TestDb;
let dataDir: string;
let baseUrl: string;
let port: number;

let client: Pool;
const api = (method: 'GET' | 'PUT', p: string, body?: unknown) => adminRequest(client, method, p, body, 15_000);

/** The Hookbridge environment with Telegram at `apiRoot`. */
const env = (apiRoot: string) => ratingEnv(okdesk, apiRoot, PG_URL ? { HOOKBRIDGE_LEASE_SECONDS: '3' } : {});
const ratingMessages = () => tg.botMessages(BOT_TOKEN, CHAT).filter((m) => /оцените качество/.test(m.text));

beforeAll(async () => {
  okdesk = await startFakeOkdesk();
  tg = await startTelegram();
  proxy = await blockingProxy(tg.apiRoot, { blockedChatIds: [], heldChatIds: [CHAT] });
  db = freshDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-okdesk-crash-'));
  port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  client = new Pool(baseUrl);
});

afterAll(async () => {
  await proxy?.close();
  await tg?.stop();
  await okdesk?.close();
  await tearDownRig({ client, db, dataDir });
});

describe(`okdesk rating crash recovery (${PG_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('kill -9 between the webhook\'s 202 and the Telegram send → the message is sent after restart, once', async () => {
    // Telegram hangs on sends to this chat: the send job is claimed and stuck mid-call.
    const first = spawnServer({ port, db, dataDir, env: env(proxy.apiRoot) });
    await waitReady(first, baseUrl);

    const link = await api('PUT', `/v1/okdesk/contacts/${CONTACT}`, { telegramChatId: CHAT });
    expect(link.status, JSON.stringify(link.body)).toBe(200);
    const hook = await okdeskWebhook({ url: baseUrl }, seedStatus(ISSUE, 'resolved', CONTACT, 'Сломан сканер'));
    expect(hook.status).toBe(202);
    expect(hook.body!.ratingId).toEqual(expect.any(String));

    await until('the send to be on the wire', 10_000, () => proxy.held.some((h) => h.method === 'sendMessage' && h.chatId === String(CHAT)));
    const [job] = (await api('GET', '/v1/jobs?kind=okdesk-rating.send-rating')).body.data;
    expect(job).toMatchObject({ status: 'pending', attempts: 0 }); // claimed, not finished

    await killHard(first);
    expect(first.proc.signalCode).toBe('SIGKILL');
    expect(ratingMessages()).toHaveLength(0);

    // Restart on the same database, Telegram working now.
    const second = spawnServer({ port, db, dataDir, env: env(tg.apiRoot) });
    await waitReady(second, baseUrl);
    await until('the rating request after the restart', 15_000, () => ratingMessages().length > 0).catch((err) => {
      throw new Error(`${(err as Error).message}\nserver output:\n${first.output.join('').slice(-2000)}\n---\n${second.output.join('').slice(-2000)}`);
    });
    await sleep(700); // a duplicate would come right behind it
    expect(ratingMessages()).toHaveLength(1);
    const m = ratingMessages()[0]!;
    expect(m.text).toContain(`№${ISSUE}`);
    const buttons = withKeyboard(m)!.flat();
    expect(buttons).toHaveLength(5);
    expect(buttons.map((b) => b.callback_data)).toEqual([5, 4, 3, 2, 1].map((n) => `rate:${hook.body!.ratingId}:${n}`));

    await until('the send job to be done', 5000, async () => (await api('GET', `/v1/jobs/${job.id}`)).body.data.status === 'done');
    const ratings = (await api('GET', '/v1/ratings')).body.data as any[];
    expect(ratings).toHaveLength(1);
    expect(ratings[0]).toMatchObject({ id: hook.body!.ratingId, issueId: String(ISSUE), status: 'sent' });
    expect(second.proc.exitCode).toBeNull();
  }, 60_000);
});
