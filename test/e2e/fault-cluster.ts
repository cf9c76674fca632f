import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, JWT_SECRET } from '../../packages/server/test/support/test-app.ts';
import { Balancer, type NodeProcess, startNode } from './processes.ts';
import type { PrivatePostgres } from './private-services.ts';

/**
 * Three Parley processes on one private PostgreSQL database and one private Redis, behind a
 * TCP balancer that spreads new connections round-robin (and skips a node that refuses, like
 * a health-checked load balancer). A node can be killed, or drained and replaced; a node's
 * Redis can be given its own URL (a proxy the test controls).
 */
export class FaultCluster {
  readonly nodes: NodeProcess[] = [];
  readonly balancer: Balancer;
  private readonly env: Record<string, string>;
  private readonly dataDir: string;
  private readonly redisUrls: string[];
  private generation = 0;

  private constructor(env: Record<string, string>, dataDir: string, redisUrls: string[]) {
    this.env = env;
    this.dataDir = dataDir;
    this.redisUrls = redisUrls;
    this.balancer = new Balancer([]);
  }

  static async start(name: string, postgres: PrivatePostgres, redisUrls: string[]): Promise<FaultCluster> {
    const databaseUrl = await postgres.createDatabase(`parley_${name}`);
    const dataDir = mkdtempSync(join(tmpdir(), `parley-${name}-`));
    const env = {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      // The test's own environment may name NATS: this suite's broker is the private Redis.
      BROKER: 'redis',
      REDIS_KEY_PREFIX: `parley-${name}:`,
      ADMIN_API_KEY: ADMIN_KEY,
      JWT_SECRET,
      DRAIN_WINDOW_MS: '2000',
      DRAIN_GRACE_MS: '5000',
      PUSH_ENABLED: 'false',
    };
    const cluster = new FaultCluster(env, dataDir, redisUrls);
    try {
      for (let i = 0; i < redisUrls.length; i++) cluster.nodes.push(await cluster.startNode(i));
      cluster.balancer.targets = cluster.nodes.map((node) => node.port);
      await cluster.balancer.listen();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get url(): string {
    return `http://127.0.0.1:${this.balancer.port}`;
  }

  /** A node that is up (for the test's own fresh fetches). */
  liveUrl(): string {
    return this.nodes.find((node) => node.child.exitCode === null && node.child.signalCode === null)!.url;
  }

  private startNode(index: number): Promise<NodeProcess> {
    return startNode({ ...this.env, REDIS_URL: this.redisUrls[index]!, NODE_ID: `node-${index}-${this.generation++}` });
  }

  /** SIGKILL: the node vanishes without a goodbye; the balancer stops reaching it. */
  async kill(index: number): Promise<void> {
    await this.nodes[index]!.stop('SIGKILL');
  }

  /**
   * SIGTERM, as Kubernetes does in a rolling update: the node leaves the balancer (its
   * readiness fails), drains and must exit 0; a new process takes its place.
   * Returns how long the drain took.
   */
  async replace(index: number): Promise<{ drainMs: number; exitCode: number | null }> {
    const old = this.nodes[index]!;
    this.balancer.targets = this.balancer.targets.filter((port) => port !== old.port);
    const signalledAt = Date.now();
    const exitCode = await old.stop('SIGTERM');
    const drainMs = Date.now() - signalledAt;
    const fresh = await this.startNode(index);
    this.nodes[index] = fresh;
    this.balancer.targets = [...this.balancer.targets, fresh.port];
    return { drainMs, exitCode };
  }

  async close(): Promise<void> {
    await this.balancer.close().catch(() => {});
    await Promise.all(this.nodes.map((node) => node.stop('SIGKILL')));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
