import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCodes } from '@parley/protocol';
import { waitFor } from './support/api.ts';
import { sqliteBackend } from './support/backends.ts';
import { createUser, scrapeMetrics, startApp, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps this process's event loop busy: `stallMs` of blocking every `everyMs`, for `forMs`. */
async function stallLoop(stallMs: number, everyMs: number, forMs: number): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    const until = Date.now() + stallMs;
    while (Date.now() < until) {
      // busy
    }
    await sleep(everyMs - stallMs);
  }
}

async function metric(t: TestApp, pattern: RegExp): Promise<number> {
  const text = await (await scrapeMetrics(t.url)).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('overload', () => {
  describe('a connection cap', () => {
    let t: TestApp;
    let user: TestUser;
    before(async () => {
      t = await startApp(sqliteBackend, { env: { WS_MAX_CONNECTIONS: '3' } });
      user = await createUser(t.url);
    });
    after(() => t.close());

    it('refuses connections beyond the cap with 4002 (resumable) while the existing ones keep working, and admits again once one leaves', async () => {
      const sockets = await Promise.all([1, 2, 3].map(() => TestSocket.open(t.wsUrl, user.token)));
      try {
        const extra = await TestSocket.open(t.wsUrl, user.token, { waitReady: false });
        assert.equal(await extra.closed(), CloseCodes.overloaded);
        assert.match(extra.closeReason, /overloaded/);
        for (const socket of sockets) assert.deepEqual(await socket.request('ping'), {});
        sockets.pop()!.close();
        await waitFor(() => t.app.gateway.stats().connections === 2, 'a socket to leave');
        const admitted = await TestSocket.open(t.wsUrl, user.token);
        assert.equal(admitted.closeCode, null);
        sockets.push(admitted);
        assert.equal(await metric(t, /parley_ws_refused_total\{reason="capacity"\} (\d+)/), 1);
        assert.equal(await metric(t, /parley_ws_connections (\d+)/), 3);
      } finally {
        for (const socket of sockets) socket.close();
      }
    });
  });

  describe('an event-loop lag threshold', () => {
    let t: TestApp;
    let user: TestUser;
    before(async () => {
      t = await startApp(sqliteBackend, { env: { OVERLOAD_EVENT_LOOP_LAG_MS: '100' } });
      user = await createUser(t.url);
    });
    after(() => t.close());

    it('refuses new connections with 4002 while the loop lags, keeps serving the connected, and admits again once it recovers', async () => {
      const connected = await TestSocket.open(t.wsUrl, user.token);
      try {
        // The server runs in this process: stalling this loop stalls the server's.
        await stallLoop(300, 400, 2_600);
        const refused = await TestSocket.open(t.wsUrl, user.token, { waitReady: false });
        assert.equal(await refused.closed(), CloseCodes.overloaded);
        assert.deepEqual(await connected.request('ping'), {}, 'existing users keep working');
        assert.equal(await metric(t, /parley_ws_refused_total\{reason="event_loop_lag"\} (\d+)/), 1);
        assert.ok((await metric(t, /parley_event_loop_lag_seconds ([\d.e-]+)/)) > 0.1);
        await sleep(2_200);
        const admitted = await TestSocket.open(t.wsUrl, user.token);
        assert.equal(admitted.closeCode, null, 'admitted again once the loop caught up');
        admitted.close();
      } finally {
        connected.close();
      }
    });
  });

  describe('metrics', () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(sqliteBackend);
    });
    after(() => t.close());

    it('are served at /metrics in the Prometheus text format, one family for each overload and traffic signal', async () => {
      const response = await scrapeMetrics(t.url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
      const text = await response.text();
      for (const name of [
        'parley_ws_connections', 'parley_ws_sessions', 'parley_ws_refused_total', 'parley_event_loop_lag_seconds', 'parley_overloaded',
        'parley_rate_limited_total', 'parley_messages_sent_total', 'parley_fanout_frames_total', 'parley_slow_consumer_closes_total',
        'parley_drain_closes_total', 'parley_hub_topics', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes',
      ]) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    });
  });
});
