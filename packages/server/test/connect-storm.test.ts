import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, scrapeMetrics, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Connect storms (issue 21 item 4): past WS_MAX_PENDING_CONNECTS sockets between their
 * upgrade and `ready`, an upgrade request is answered with HTTP 503 and `Retry-After` before
 * any WebSocket or token work, and never becomes a WebSocket; a slot comes back once a
 * socket is ready or gone. A token in the upgrade request (`?token=`, `Authorization`) is
 * verified before the upgrade. With a waiting room (WS_CONNECT_QUEUE), requests past the
 * bound wait for a slot in arrival order instead, and only past the room's size or its
 * waiting time get the 503.
 */
type Attempt = { opened: true; socket: WsClient } | { opened: false; status: number; retryAfter: string | undefined };

/** One upgrade attempt, told apart by what came back: a WebSocket, or an HTTP answer. */
function attempt(url: string, headers: Record<string, string> = {}): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const socket = new WsClient(url, { headers });
    socket.once('open', () => resolve({ opened: true, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      response.resume();
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** The node's waiting room, as its metrics tell it. */
async function waitingCount(base: string): Promise<number> {
  const text = await (await scrapeMetrics(base)).text();
  return Number(/^parley_ws_connects_waiting (\d+)$/m.exec(text)?.[1] ?? NaN);
}

for (const backend of backends) {
  describe(`a connect storm is refused before the upgrade (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    const open: WsClient[] = [];
    before(async () => {
      // No waiting room here: every request past the bound is refused at once (its own suite below).
      t = await startApp(backend, { env: { WS_MAX_PENDING_CONNECTS: '2', WS_CONNECT_QUEUE: '0', WS_AUTH_TIMEOUT_MS: '60000', OVERLOAD_EVENT_LOOP_LAG_MS: '0' } });
      alice = await createUser(t.url);
    });
    after(async () => {
      for (const socket of open) socket.terminate();
      await t.close();
    });

    it('answers 503 with Retry-After while the bound is full, and takes sockets again as the pending ones finish', async () => {
      // Two sockets that upgraded and have not authenticated: both slots taken.
      const pending = await Promise.all([attempt(t.wsUrl), attempt(t.wsUrl)]);
      for (const one of pending) {
        assert.equal(one.opened, true);
        if (one.opened) open.push(one.socket);
      }
      const refused = await attempt(t.wsUrl);
      assert.equal(refused.opened, false, 'the refused request never became a WebSocket');
      if (!refused.opened) {
        assert.equal(refused.status, 503);
        assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 5, `Retry-After ${refused.retryAfter}`);
      }
      const withToken = await attempt(`${t.wsUrl}?token=${encodeURIComponent(alice.token)}`);
      assert.equal(withToken.opened, false, 'a valid token does not jump the bound');

      // One pending socket authenticates: at `ready` its slot is free again.
      const first = open[0]!;
      const ready = new Promise<void>((resolve) => first.on('message', (data) => {
        if (JSON.parse(String(data)).t === 'ready') resolve();
      }));
      first.send(JSON.stringify({ t: 'auth', id: 'a1', token: alice.token }));
      await ready;
      const admitted = await TestSocket.open(t.wsUrl, alice.token);
      assert.equal(admitted.ready.userId, alice.user.id);
      admitted.close();

      // The other goes away without authenticating: its slot comes back too.
      open[1]!.terminate();
      let again = await attempt(t.wsUrl);
      await waitFor(async () => {
        if (again.opened) return true;
        again = await attempt(t.wsUrl);
        return again.opened;
      }, 'a slot after the pending socket closed');
      if (again.opened) open.push(again.socket);
    });

    it('verifies a token brought in the upgrade request (query or Authorization header) and answers ready without an auth frame', async () => {
      for (const socket of open.splice(0)) socket.terminate();
      await waitFor(async () => {
        const probe = await attempt(t.wsUrl);
        if (probe.opened) probe.socket.terminate();
        return probe.opened;
      }, 'the bound to be free');
      const viaHeader = await attempt(t.wsUrl, { authorization: `Bearer ${alice.token}` });
      assert.equal(viaHeader.opened, true);
      if (viaHeader.opened) {
        const frame = await new Promise<any>((resolve) => viaHeader.socket.once('message', (data) => resolve(JSON.parse(String(data)))));
        assert.equal(frame.t, 'ready');
        assert.equal(frame.userId, alice.user.id);
        viaHeader.socket.close();
      }
      const bad = await TestSocket.open(t.wsUrl, 'not-a-token', { waitReady: false });
      assert.equal(await bad.closed(), 4200, 'a refused token still gets its close code (browsers cannot read an HTTP status)');
    });
  });

  describe(`a connect storm waits its turn in the waiting room (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    const open: WsClient[] = [];
    before(async () => {
      t = await startApp(backend, { env: { WS_MAX_PENDING_CONNECTS: '2', WS_CONNECT_QUEUE: '2', WS_CONNECT_QUEUE_MS: '60000', WS_AUTH_TIMEOUT_MS: '60000', OVERLOAD_EVENT_LOOP_LAG_MS: '0' } });
      alice = await createUser(t.url);
    });
    after(async () => {
      for (const socket of open) socket.terminate();
      await t.close();
    });

    it('holds requests past the bound, takes them on oldest first as slots free, and refuses once the room is full', async () => {
      const pending = await Promise.all([attempt(t.wsUrl), attempt(t.wsUrl)]);
      for (const one of pending) {
        assert.equal(one.opened, true);
        if (one.opened) open.push(one.socket);
      }
      const order: string[] = [];
      const first = attempt(t.wsUrl).then((result) => (order.push('first'), result));
      // In the room before the next request is made, so the order of arrival is known.
      await waitFor(async () => (await waitingCount(t.url)) === 1, 'the first request waiting');
      const second = attempt(t.wsUrl).then((result) => (order.push('second'), result));
      await waitFor(async () => (await waitingCount(t.url)) === 2, 'both requests waiting');
      // The room holds two: a third request past the bound is answered at once.
      const refused = await attempt(t.wsUrl);
      assert.equal(refused.opened, false);
      if (!refused.opened) {
        assert.equal(refused.status, 503);
        assert.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
      }
      assert.deepEqual(order, [], 'nobody was taken on while both slots were held');

      // A pending socket authenticates: its slot goes to the oldest waiting request.
      const ready = new Promise<void>((resolve) => open[0]!.on('message', (data) => {
        if (JSON.parse(String(data)).t === 'ready') resolve();
      }));
      open[0]!.send(JSON.stringify({ t: 'auth', id: 'a1', token: alice.token }));
      await ready;
      const taken = await first;
      assert.equal(taken.opened, true);
      if (taken.opened) open.push(taken.socket);
      assert.deepEqual(order, ['first']);

      // The other pending socket goes away: the next one in the room is taken on.
      open[1]!.terminate();
      const next = await second;
      assert.equal(next.opened, true);
      if (next.opened) open.push(next.socket);
      assert.deepEqual(order, ['first', 'second']);
    });
  });

  describe(`a request that waited too long in the waiting room is refused (${backend.name})`, () => {
    let t: TestApp;
    const open: WsClient[] = [];
    before(async () => {
      t = await startApp(backend, { env: { WS_MAX_PENDING_CONNECTS: '1', WS_CONNECT_QUEUE: '10', WS_CONNECT_QUEUE_MS: '200', WS_AUTH_TIMEOUT_MS: '60000', OVERLOAD_EVENT_LOOP_LAG_MS: '0' } });
    });
    after(async () => {
      for (const socket of open) socket.terminate();
      await t.close();
    });

    it('answers 503 with Retry-After once its waiting time is up, while the slot stays taken', async () => {
      const holder = await attempt(t.wsUrl);
      assert.equal(holder.opened, true);
      if (holder.opened) open.push(holder.socket);
      const waited = await attempt(t.wsUrl);
      assert.equal(waited.opened, false);
      if (!waited.opened) {
        assert.equal(waited.status, 503);
        assert.ok(Number(waited.retryAfter) >= 1, `Retry-After ${waited.retryAfter}`);
      }
    });
  });
}
