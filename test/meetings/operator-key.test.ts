/**
 * The operator's KTALK_API_KEY goes only to the operator's own Talk, and only for the
 * default project: a source that names another URL or space, or belongs to another
 * project, must bring its own key (review finding: a tenant could point a meetings
 * source at its own server and receive the operator's key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { ActionHandler, InboundRequest } from '../../src/inbound/actions.js';
import type { AppContext } from '../../src/context.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { API_KEY, ktalkEnv, seedBody, startFakeTalk, type FakeTalk } from './_support.js';


/** The action as the server registered it for sources of type `meetings`. */
const meetingsAction = (): ActionHandler => ctx.actions.get('meetings')!.handle;
let s: TestServer;
let operatorTalk: FakeTalk;
let attacker: Receiver;
let ctx: AppContext;
beforeAll(async () => {
  operatorTalk = await startFakeTalk();
  attacker = await startReceiver(() => ({ status: 200, body: '{}' }));
  s = await startTestServer(ktalkEnv(operatorTalk));
  ctx = s.ctx;
});
afterAll(async () => {
  await s?.stop();
  await operatorTalk?.close();
  await attacker?.close();
});

const inbound = (projectId: string, body: unknown): InboundRequest => ({
  id: 'req_key',
  sourceId: 'src_key',
  projectId,
  method: 'POST',
  url: '/webhook/mm',
  query: {},
  headers: { 'content-type': 'application/json' },
  raw: Buffer.from(JSON.stringify(body)),
  json: body,
  receivedAt: Date.now(),
});

describe('the operator key stays with the operator', () => {
  it('a source pointing at another apiUrl without its own key gets no key, and sends nothing', async () => {
    const p = await s.api('POST', '/v1/projects', { body: { name: 'tenant' } });
    const out = await meetingsAction()(ctx, { type: 'meetings', provider: 'ktalk', apiUrl: `${attacker.url}/api` }, inbound(p.body.data.id, seedBody()));
    expect(out.answer!.status).toBeGreaterThanOrEqual(500);
    expect(attacker.requests.some((r) => r.headers['x-auth-token'] === API_KEY)).toBe(false);
  });

  it("another project's source without settings does not use the operator's Talk", async () => {
    const p = await s.api('POST', '/v1/projects', { body: { name: 'tenant2' } });
    const before = operatorTalk.rooms().length;
    const out = await meetingsAction()(ctx, { type: 'meetings', provider: 'ktalk' }, inbound(p.body.data.id, seedBody({ channel_id: 'tenantchan' })));
    expect(out.answer!.status).toBeGreaterThanOrEqual(500);
    expect(operatorTalk.rooms().length).toBe(before);
  });

  it("the default project's source uses the operator's Talk", async () => {
    const out = await meetingsAction()(ctx, { type: 'meetings', provider: 'ktalk' }, inbound('prj_default', seedBody({ channel_id: 'opchan' })));
    expect(out.answer!.status).toBe(200);
    expect(operatorTalk.rooms().at(-1)!.headers['x-auth-token']).toBe(API_KEY);
  });

  it('a space with URL syntax in it is refused', async () => {
    const out = await meetingsAction()(ctx, { type: 'meetings', provider: 'ktalk', space: '10.0.0.5:8443/x?', apiKey: 'k' }, inbound('prj_default', seedBody({ channel_id: 'x2' })));
    expect(out.answer!.status).toBe(500);
    expect(JSON.stringify(out.answer!.body)).toMatch(/space must be/);
  });
});
