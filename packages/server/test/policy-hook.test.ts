import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { call, group, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { channel, create, nextClientId, refused, texts, trySend, userLog, view } from './support/governance.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';

const SECRET = 'hook-secret-0123456789-abcdef';

interface HookCall {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { action: string; actorId: string; conversationId?: string; kind?: string; userIds?: string[]; text?: string; edit?: boolean; messageId?: string };
}

type Answer = { status?: number; body?: unknown; raw?: string; delayMs?: number };

/** The operator's compliance endpoint: records what it is asked, answers as the test decides. */
class HookEndpoint {
  readonly calls: HookCall[] = [];
  decide: (call: HookCall) => Answer = () => ({ body: { allow: true } });
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let raw = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (raw += chunk));
      request.on('end', () => {
        const call: HookCall = { headers: request.headers, raw, body: JSON.parse(raw) };
        this.calls.push(call);
        const answer = this.decide(call);
        const reply = () => {
          if (response.destroyed) return;
          response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
          response.end(answer.raw ?? JSON.stringify(answer.body ?? {}));
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  of(action: string): HookCall[] {
    return this.calls.filter((c) => c.body.action === action);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const allowAll = (): Answer => ({ body: { allow: true } });

function hookEnv(hook: HookEndpoint, extra: Record<string, string>): Record<string, string> {
  return { POLICY_HOOK_URL: hook.url, POLICY_HOOK_TIMEOUT_MS: '400', ...extra };
}

for (const backend of backends) {
  describe(`policy hook, fail-closed, every action, signed (${backend.name})`, () => {
    const hook = new HookEndpoint();
    let t: TestApp;
    before(async () => {
      await hook.start();
      t = await startApp(backend, { env: hookEnv(hook, { POLICY_HOOK_FAIL: 'closed', POLICY_HOOK_SECRET: SECRET }) });
    });
    beforeEach(() => {
      hook.decide = allowAll;
    });
    after(async () => {
      await t.close();
      await hook.stop();
    });

    it('asks before creating and sending, with an HMAC signature of the body, and goes ahead when allowed', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Checked', [bob]);
      const [created] = hook.of('conversation.create').filter((c) => c.body.actorId === owner.user.id);
      assert.deepEqual(created!.body, { action: 'conversation.create', actorId: owner.user.id, kind: 'group', userIds: [bob.user.id] });
      const clientMsgId = nextClientId();
      const sent = await trySend(t, owner, room.id, 'hello compliance', clientMsgId);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const asked = hook.of('message.send').filter((c) => c.body.conversationId === room.id);
      assert.equal(asked.length, 1);
      assert.deepEqual(asked[0]!.body, { action: 'message.send', actorId: owner.user.id, conversationId: room.id, kind: 'group', text: 'hello compliance' });
      assert.equal(asked[0]!.headers['content-type'], 'application/json');
      assert.equal(asked[0]!.headers['x-parley-signature'], `sha256=${createHmac('sha256', SECRET).update(asked[0]!.raw).digest('hex')}`);
      // A retry of the same send returns the stored message without asking again.
      assert.equal((await trySend(t, owner, room.id, 'hello compliance', clientMsgId)).body.message.id, sent.body.message.id);
      assert.equal(hook.of('message.send').filter((c) => c.body.conversationId === room.id).length, 1);
      assert.deepEqual(await texts(t, bob, room.id), ['hello compliance']);
    });

    it('refuses with the endpoint\'s reason as forbidden and stores nothing', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const carol = await createUser(t.url);
      const room = await group(t, owner, 'Strict', [bob]);
      const news = await channel(t, owner, 'Strict news', [bob], { handle: `strict${process.pid % 10_000}h` });
      hook.decide = (c) => ({ body: { allow: false, reason: `No ${c.body.action} today.` } });
      const head = (await view(t, owner, room.id)).lastSeq;
      refused(await trySend(t, bob, room.id, 'forbidden words'), 403, 'forbidden', /^No message\.send today\.$/);
      refused(await trySend(t, owner, news.id, 'forbidden post'), 403, 'forbidden', /^No channel\.post today\.$/);
      assert.equal(hook.of('channel.post').at(-1)!.body.kind, 'channel');
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      assert.deepEqual(await texts(t, owner, room.id), []);
      assert.deepEqual(await texts(t, owner, news.id), []);
      refused(await call(t, owner, 'POST', '/v1/conversations', { kind: 'group', title: 'Nope', memberIds: [carol.user.id] }), 403, 'forbidden', /conversation\.create/);
      refused(await call(t, owner, 'POST', `/v1/conversations/${room.id}/members`, { userIds: [carol.user.id] }), 403, 'forbidden', /members\.add/);
      assert.deepEqual(hook.of('members.add').at(-1)!.body, { action: 'members.add', actorId: owner.user.id, conversationId: room.id, userIds: [carol.user.id] });
      refused(await call(t, carol, 'POST', `/v1/conversations/${news.id}/join`), 403, 'forbidden', /conversation\.join/);
      assert.deepEqual((await ok(t, carol, 'GET', '/v1/conversations')).conversations, []);
      assert.deepEqual(await userLog(t, carol), []);
      assert.equal((await view(t, owner, room.id)).memberCount, 2);
      // A refusal without a reason still reads as a policy refusal.
      hook.decide = () => ({ body: { allow: false } });
      refused(await trySend(t, bob, room.id, 'again'), 403, 'forbidden', /policy/i);
    });

    it('never puts a non-member\'s send to the endpoint: they get not_found, exactly as for no conversation', async () => {
      const owner = await createUser(t.url);
      const outsider = await createUser(t.url);
      const room = await group(t, owner, 'Members only', []);
      hook.decide = () => ({ body: { allow: false, reason: 'Refused.' } });
      const asked = hook.calls.length;
      const real = refused(await trySend(t, outsider, room.id, 'let me in'), 404, 'not_found');
      assert.deepEqual(real, refused(await trySend(t, outsider, 'no-such-room', 'let me in'), 404, 'not_found'));
      assert.equal(hook.calls.length, asked, 'the endpoint never saw the outsider\'s text');
      hook.decide = () => ({ delayMs: 1500 });
      refused(await trySend(t, outsider, room.id, 'still not'), 404, 'not_found');
    });

    it('asks about edits too, as the send or post they are, so a refused text cannot be edited in afterwards', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      const room = await group(t, owner, 'Edited', [bob]);
      const news = await channel(t, owner, 'Edited news', [bob]);
      hook.decide = (c) => (c.body.text?.includes('forbidden') ? { body: { allow: false, reason: 'Not that word.' } } : { body: { allow: true } });
      const harmless = (await ok(t, bob, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), text: 'harmless' })).message;
      const head = (await view(t, owner, room.id)).lastSeq;
      refused(await call(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${harmless.id}`, { text: 'forbidden words' }), 403, 'forbidden', /^Not that word\.$/);
      assert.deepEqual(hook.of('message.send').at(-1)!.body, { action: 'message.send', actorId: bob.user.id, conversationId: room.id, kind: 'group', text: 'forbidden words', edit: true, messageId: harmless.id });
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      assert.deepEqual(await texts(t, owner, room.id), ['harmless']);
      // An allowed edit goes through, asked once.
      const asked = hook.calls.length;
      await ok(t, bob, 'PATCH', `/v1/conversations/${room.id}/messages/${harmless.id}`, { text: 'still harmless' });
      assert.equal(hook.calls.length, asked + 1);
      assert.deepEqual(await texts(t, owner, room.id), ['still harmless']);
      // A channel post's edit is a channel.post.
      const post = (await ok(t, owner, 'POST', `/v1/conversations/${news.id}/messages`, { clientMsgId: nextClientId(), text: 'news' })).message;
      refused(await call(t, owner, 'PATCH', `/v1/conversations/${news.id}/messages/${post.id}`, { text: 'forbidden news' }), 403, 'forbidden', /Not that word/);
      assert.deepEqual(hook.of('channel.post').at(-1)!.body, { action: 'channel.post', actorId: owner.user.id, conversationId: news.id, kind: 'channel', text: 'forbidden news', edit: true, messageId: post.id });
      assert.deepEqual(await texts(t, bob, news.id), ['news']);
      // Someone who is not a member is never put to the endpoint.
      const outsider = await createUser(t.url);
      const before = hook.calls.length;
      refused(await call(t, outsider, 'PATCH', `/v1/conversations/${room.id}/messages/${harmless.id}`, { text: 'forbidden too' }), 404, 'not_found');
      assert.equal(hook.calls.length, before);
    });

    it('answers not_found, never the endpoint\'s refusal, to someone who may not see the conversation they add to or join', async () => {
      const owner = await createUser(t.url);
      const outsider = await createUser(t.url);
      const carol = await createUser(t.url);
      const hidden = await group(t, owner, 'Hidden', []);
      hook.decide = () => ({ body: { allow: false, reason: 'Refused.' } });
      const asked = hook.calls.length;
      const noSuch = refused(await call(t, outsider, 'POST', '/v1/conversations/no-such-room/members', { userIds: [carol.user.id] }), 404, 'not_found');
      assert.deepEqual(refused(await call(t, outsider, 'POST', `/v1/conversations/${hidden.id}/members`, { userIds: [carol.user.id] }), 404, 'not_found'), noSuch);
      const noneToJoin = refused(await call(t, outsider, 'POST', '/v1/conversations/no-such-room/join'), 404, 'not_found');
      assert.deepEqual(refused(await call(t, outsider, 'POST', `/v1/conversations/${hidden.id}/join`), 404, 'not_found'), noneToJoin);
      assert.equal(hook.calls.length, asked, 'the endpoint was not asked about conversations the actor may not see');
      assert.equal((await view(t, owner, hidden.id)).memberCount, 1);
    });

    it('answers 503 unavailable and stores nothing when the endpoint is slow, failing or talks nonsense', async () => {
      const owner = await createUser(t.url);
      const room = await group(t, owner, 'Fragile', []);
      const head = (await view(t, owner, room.id)).lastSeq;
      for (const answer of [{ delayMs: 1500, body: { allow: true } }, { status: 500, body: { allow: true } }, { raw: 'not json' }, { body: { allow: 'yes' } }] as Answer[]) {
        hook.decide = () => answer;
        const started = Date.now();
        const result = refused(await trySend(t, owner, room.id, 'maybe'), 503, 'unavailable');
        assert.ok(Date.now() - started < 1300, 'the timeout, not the endpoint, decides how long a send waits');
        assert.equal(result.code, 'unavailable', JSON.stringify(answer));
      }
      assert.equal((await view(t, owner, room.id)).lastSeq, head);
      assert.deepEqual(await texts(t, owner, room.id), []);
    });
  });

  describe(`policy hook, fail-open, only some actions, unsigned (${backend.name})`, () => {
    const hook = new HookEndpoint();
    let t: TestApp;
    before(async () => {
      await hook.start();
      t = await startApp(backend, { env: hookEnv(hook, { POLICY_HOOK_FAIL: 'open', POLICY_HOOK_ACTIONS: 'channel.post' }) });
    });
    beforeEach(() => {
      hook.decide = allowAll;
    });
    after(async () => {
      await t.close();
      await hook.stop();
    });

    it('consults only the configured actions', async () => {
      const owner = await createUser(t.url);
      const bob = await createUser(t.url);
      hook.decide = () => ({ body: { allow: false, reason: 'Channels are closed.' } });
      const room = await group(t, owner, 'Unchecked', [bob]);
      await ok(t, bob, 'POST', `/v1/conversations/${room.id}/messages`, { clientMsgId: nextClientId(), text: 'not asked' });
      const news = await create(t, owner, { kind: 'channel', title: 'Checked' });
      assert.deepEqual(hook.calls.map((c) => c.body.action), [], 'creating, adding and group sends were not asked about');
      refused(await trySend(t, owner, news.id, 'asked'), 403, 'forbidden', /Channels are closed/);
      assert.deepEqual(hook.calls.map((c) => c.body.action), ['channel.post']);
      assert.equal(hook.calls[0]!.headers['x-parley-signature'], undefined, 'no secret, no signature');
    });

    it('lets the action through when the endpoint is slow or failing', async () => {
      const owner = await createUser(t.url);
      const news = await create(t, owner, { kind: 'channel', title: 'Resilient' });
      hook.decide = () => ({ delayMs: 1500, body: { allow: false } });
      await ok(t, owner, 'POST', `/v1/conversations/${news.id}/messages`, { clientMsgId: nextClientId(), text: 'slow endpoint' });
      hook.decide = () => ({ status: 502 });
      await ok(t, owner, 'POST', `/v1/conversations/${news.id}/messages`, { clientMsgId: nextClientId(), text: 'broken endpoint' });
      // An answer that does arrive in time still counts.
      hook.decide = () => ({ body: { allow: false, reason: 'Not this one.' } });
      refused(await trySend(t, owner, news.id, 'refused'), 403, 'forbidden', /Not this one/);
      assert.deepEqual(await texts(t, owner, news.id), ['slow endpoint', 'broken endpoint']);
    });
  });
}
