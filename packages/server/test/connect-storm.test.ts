import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { waitFor } from './support/api.ts';
import { backends } from './support/backends.ts';
import { createUser, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Connect storms (issue 21 item 4): past WS_MAX_PENDING_CONNECTS sockets between their
 * upgrade and `ready`, an upgrade request is answered with HTTP 503 and `Retry-After` before
 * any WebSocket or token work, and never becomes a WebSocket; a slot comes back once a
 * socket is ready or gone. A token in the upgrade request (`?token=`, `Authorization`) is
 * verified before the upgrade.
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

for (const backend of backends) {
  describe(`a connect storm is refused before the upgrade (${backend.name})`, () => {
    let t: TestApp;
    let alice: TestUser;
    const open: WsClient[] = [];
    before(async () => {
      t = await startApp(backend, { env: { WS_MAX_PENDING_CONNECTS: '2', WS_AUTH_TIMEOUT_MS: '60000', OVERLOAD_EVENT_LOOP_LAG_MS: '0' } });
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
}
