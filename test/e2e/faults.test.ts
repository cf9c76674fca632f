import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startTcpProxy, type TcpProxy } from '../../packages/server/test/support/tcp-proxy.ts';
import { FaultCluster } from './fault-cluster.ts';
import { Traffic } from './fault-traffic.ts';
import { waitUntil } from './harness.ts';
import { type PrivatePostgres, type PrivateRedis, privateServicesMissing, startPrivatePostgres, startPrivateRedis } from './private-services.ts';

/**
 * Faults under load (issue 19, item 8): three Parley processes on a private PostgreSQL and a
 * private Redis (never the machine's shared ones), SDK devices spread over the nodes sending,
 * editing and reading without pause, for FAULT_SCENARIO_MS (60 s by default) per scenario.
 * Each scenario injects its fault about a third of the way in, measures how long a message
 * sent when the fault ends takes to reach every device, and afterwards checks that every
 * device's state equals a fresh fetch: nothing lost, duplicated or out of order. The
 * scenarios run one after another (they share the private PostgreSQL cluster and Redis,
 * and the PostgreSQL and Redis faults would hit the others).
 */

const SCENARIO_MS = Number(process.env.FAULT_SCENARIO_MS ?? 60_000);
const missing = privateServicesMissing();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults under continuous traffic on three nodes (private PostgreSQL + Redis)', { skip: missing ?? false }, () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let counter = 0;

  before(async () => {
    postgres = await startPrivatePostgres();
    redis = await startPrivateRedis().catch((error: unknown) => {
      postgres.dispose();
      throw error;
    });
  });
  after(async () => {
    await redis?.dispose();
    postgres?.dispose();
  });

  /**
   * Runs traffic for SCENARIO_MS with the fault injected after a third of it, then verifies.
   * `fault` returns the figures to report.
   */
  async function scenario<F extends object>(t: TestContext, fault: (cluster: FaultCluster, traffic: Traffic) => Promise<F>, redisUrls?: (i: number) => string) {
    const name = `f${process.pid}_${++counter}`;
    const cluster = await FaultCluster.start(name, postgres, [0, 1, 2].map((i) => redisUrls?.(i) ?? redis.url));
    const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
    const traffic = new Traffic(cluster.url, seed);
    try {
      await traffic.open();
      const began = Date.now();
      traffic.start();
      await sleep(SCENARIO_MS / 3);
      const figures = await fault(cluster, traffic);
      // The rest of the scenario's time under traffic, after the fault.
      await sleep(Math.max(0, SCENARIO_MS - (Date.now() - began)));
      await traffic.stop();
      await traffic.verify(cluster.liveUrl());
      const report = { ...figures, trafficSeconds: Math.round((Date.now() - began) / 1000), ...traffic.counts(), seed };
      t.diagnostic(JSON.stringify(report));
      return report;
    } finally {
      traffic.close();
      await cluster.close();
    }
  }

  /** Sockets whose client went offline after `since` and came back live: those that moved. */
  function watchMoves(traffic: Traffic) {
    const moved = new Set<string>();
    const returned = new Map<string, number>();
    let since = 0;
    for (const device of traffic.devices) {
      device.client.on('status', (status) => {
        if (!since) return;
        if (status === 'offline' || status === 'connecting') moved.add(device.name);
        if (status === 'live' && moved.has(device.name) && !returned.has(device.name)) returned.set(device.name, Date.now() - since);
      });
    }
    return {
      begin: () => (since = Date.now()),
      moved: () => moved.size,
      slowestReturnMs: () => Math.max(0, ...returned.values()),
      allReturned: () => [...moved].every((name) => returned.has(name)),
    };
  }

  it('SIGKILL of one node under load: its clients move to the other two and lose nothing', { timeout: SCENARIO_MS + 600_000 }, async (t) => {
    await scenario(t, async (cluster, traffic) => {
      const moves = watchMoves(traffic);
      moves.begin();
      await cluster.kill(0);
      const probe = await traffic.probe();
      await waitUntil(() => moves.allReturned(), 30_000, 'every client of the killed node to come back');
      assert.ok(moves.moved() >= 1, 'some clients were on the killed node');
      return { fault: 'SIGKILL node 0', clientsMoved: moves.moved(), slowestMoveMs: moves.slowestReturnMs(), probeAckMs: probe.ackMs, probeEveryoneMs: probe.everyoneMs };
    });
  });

  it('rolling restart of all three nodes with SIGTERM: every drain exits 0 and nothing is lost', { timeout: SCENARIO_MS + 600_000 }, async (t) => {
    await scenario(t, async (cluster, traffic) => {
      const moves = watchMoves(traffic);
      moves.begin();
      const drains: number[] = [];
      const probes: number[] = [];
      const began = Date.now();
      for (let i = 0; i < 3; i++) {
        const { drainMs, exitCode } = await cluster.replace(i);
        assert.equal(exitCode, 0, `node ${i} drained and exited 0`);
        drains.push(drainMs);
        probes.push((await traffic.probe()).everyoneMs);
      }
      return { fault: 'rolling SIGTERM of 3 nodes', rolloutMs: Date.now() - began, drainMs: drains, probeEveryoneMsAfterEach: probes, clientsMoved: moves.moved() };
    });
  });

  it('Redis restarted (stopped and started again at once): every node resyncs its sockets and nothing is lost', { timeout: SCENARIO_MS + 600_000 }, async (t) => {
    await scenario(t, async (_cluster, traffic) => {
      const stoppedAt = Date.now();
      await redis.stop();
      await redis.start();
      const downMs = Date.now() - stoppedAt;
      const probe = await traffic.probe();
      return { fault: 'Redis restart', redisDownMs: downMs, probeAckMs: probe.ackMs, probeEveryoneMs: probe.everyoneMs };
    });
  });

  it('Redis unavailable for 10 s: nodes stay up, and every device catches up afterwards', { timeout: SCENARIO_MS + 600_000 }, async (t) => {
    await scenario(t, async (_cluster, traffic) => {
      await redis.stop();
      const outage = traffic.counts();
      await sleep(10_000);
      await redis.start();
      const probe = await traffic.probe();
      const sentDuring = traffic.counts().sends - outage.sends;
      assert.ok(sentDuring > 0, 'sends kept being acknowledged while Redis was away');
      return { fault: 'Redis down 10 s', sendsAckedDuringOutage: sentDuring, probeAckMs: probe.ackMs, probeEveryoneMs: probe.everyoneMs };
    });
  });

  it('PostgreSQL restarted: sends are refused as retryable meanwhile, the SDK retries them with the same clientMsgId, nothing is duplicated', { timeout: SCENARIO_MS + 600_000 }, async (t) => {
    const report = await scenario(t, async (_cluster, traffic) => {
      const before = traffic.counts();
      postgres.stop();
      const stoppedAt = Date.now();
      // Long enough for every device to try something against the missing database.
      await sleep(5_000);
      postgres.start();
      const downMs = Date.now() - stoppedAt;
      const probe = await traffic.probe();
      const during = traffic.counts();
      return { fault: 'PostgreSQL restart (fast stop, 5 s down)', postgresDownMs: downMs, unavailableRefusals: (during.refusals.unavailable ?? 0) - (before.refusals.unavailable ?? 0), probeAckMs: probe.ackMs, probeEveryoneMs: probe.everyoneMs };
    });
    assert.ok(report.unavailableRefusals > 0, 'requests were refused as unavailable (retryable) while PostgreSQL was down');
    assert.ok(report.sendsRetried > 0, 'some sends were retried with their clientMsgId');
  });

  describe('a network partition of one node from Redis', () => {
    let proxy: TcpProxy;
    before(async () => {
      proxy = await startTcpProxy(redis.url, 6379);
    });
    after(() => proxy?.close());

    it('the cut-off node keeps its own sockets live; after the partition heals every device converges', { timeout: SCENARIO_MS + 600_000 }, async (t) => {
      await scenario(t, async (_cluster, traffic) => {
        proxy.cut();
        await sleep(10_000);
        proxy.restore();
        const probe = await traffic.probe();
        return { fault: 'node 0 cut from Redis for 10 s (connections reset, new ones refused)', probeAckMs: probe.ackMs, probeEveryoneMs: probe.everyoneMs };
      }, (i) => (i === 0 ? proxy.url : redis.url));
    });
  });
});
