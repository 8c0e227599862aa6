/**
 * The meetings webhook called from a real browser, as the Mattermost plugin calls it:
 * a page on another origin (a second loopback server standing in for Mattermost)
 * runs `fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'}, body})`
 * — a preflighted cross-origin request — and shows the room it gets back. With
 * MEETINGS_ALLOWED_ORIGINS naming another origin, Chromium itself refuses the call.
 *
 * Needs /usr/bin/chromium (Debian's `chromium` package): skipped with a message when it
 * is missing, failed when CI=true.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const MISSING = `${CHROMIUM} is missing (install Debian's chromium package: apt-get install -y chromium)`;
const haveChromium = fs.existsSync(CHROMIUM);
const TOKEN = 'browser_test_token';

/** The Mattermost page: a channel header button that does what the plugin's instant-call handler does. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Town Square - Mattermost</title></head>
<body>
<button id="start">Start Kontur Meeting</button>
<div id="out"></div>
<script>
  const hook = new URLSearchParams(location.search).get('hook');
  document.getElementById('start').addEventListener('click', async () => {
    const out = document.getElementById('out');
    const body = JSON.parse(new URLSearchParams(location.search).get('body'));
    try {
      const res = await fetch(hook, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const data = await res.json();
      if (!res.ok) {
        out.dataset.state = 'error';
        out.textContent = data.message || data.error;
        return;
      }
      out.dataset.state = 'room';
      out.textContent = data.meeting_url || data.room_url;
    } catch (e) {
      out.dataset.state = 'refused';
      out.textContent = e.name + ': ' + e.message;
    }
  });
</script>
</body></html>`;

async function startMattermostPage(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/channel')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

if (!haveChromium) {
  if (process.env.CI === 'true') {
    it('browser tests need Chromium in CI', () => {
      throw new Error(`browser tests cannot run: ${MISSING}`);
    });
  } else {
    console.warn(`[browser tests] skipped: ${MISSING}`);
    it.skip(`skipped: ${MISSING}`, () => {});
  }
}

describe.skipIf(!haveChromium)('meetings webhook from a browser on the Mattermost origin', () => {
  let browser: Browser;
  let mm: Awaited<ReturnType<typeof startMattermostPage>>;
  let allowed: TestServer;
  let refused: TestServer;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    mm = await startMattermostPage();
    [allowed, refused, browser] = await Promise.all([
      startTestServer({ MEETINGS_ALLOWED_ORIGINS: mm.origin, MEETINGS_TOKEN: TOKEN }),
      startTestServer({ MEETINGS_ALLOWED_ORIGINS: 'https://mattermost.example.com', MEETINGS_TOKEN: TOKEN }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([allowed?.stop(), refused?.stop(), mm?.close()]);
  });

  /** Opens the channel page, clicks the button, and returns what the page showed. */
  async function clickStart(hookbridge: TestServer, body: Record<string, unknown>) {
    const page = await browser.newPage();
    try {
      const hook = `${hookbridge.url}/webhook/kontur-create?token=${TOKEN}`;
      await page.goto(`${mm.origin}/channel?hook=${encodeURIComponent(hook)}&body=${encodeURIComponent(JSON.stringify(body))}`);
      expect(new URL(page.url()).origin).not.toBe(new URL(hookbridge.url).origin);
      await page.click('#start');
      const out = page.locator('#out[data-state]');
      await out.waitFor({ timeout: 10_000 });
      return { state: await out.getAttribute('data-state'), text: (await out.textContent()) ?? '' };
    } finally {
      await page.close();
    }
  }

  const seed = (user: string, over: Record<string, unknown> = {}) => ({
    operation_type: 'instant_call',
    channel_id: 'test123',
    channel_name: 'Test Channel',
    channel_type: 'O',
    user_id: user,
    username: 'test.user',
    ...over,
  });

  it('an allowed origin gets the room and shows its link', async () => {
    const shown = await clickStart(allowed, seed('browser_user_1'));
    expect(shown).toMatchObject({ state: 'room' });
    expect(shown.text).toMatch(/^https:\/\/meet\.ktalk\.ru\/test123[a-z0-9]{8}$/);
    const list = await allowed.api('GET', '/v1/meetings?userId=browser_user_1');
    expect(list.body.data.map((m: { roomUrl: string }) => m.roomUrl)).toEqual([shown.text]);
  });

  it('an error answer is readable by the page (CORS headers on errors too), so the plugin can show its message', async () => {
    const shown = await clickStart(allowed, { channel_name: 'no ids' });
    expect(shown.state).toBe('error');
    expect(shown.text).toMatch(/channel_id is required/);
  });

  it('with MEETINGS_ALLOWED_ORIGINS set to another origin, the browser refuses the call (fetch rejects with TypeError)', async () => {
    const shown = await clickStart(refused, seed('browser_user_2'));
    expect(shown.state).toBe('refused');
    expect(shown.text).toMatch(/^TypeError: /);
    const list = await refused.api('GET', '/v1/meetings?userId=browser_user_2');
    expect(list.body.data).toEqual([]);
  });
});
