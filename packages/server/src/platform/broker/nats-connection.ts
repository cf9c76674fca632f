import { connect, type NatsConnection } from 'nats';

/** How long closing waits for the connection to close before giving up on it (NATS may be down). */
const CLOSE_GRACE_MS = 1_000;

/**
 * A broker's connection: it reconnects by itself, forever, every 250 ms or so, and is named
 * `parley-broker:<prefix>` (see the server's `connz`).
 */
export function connectNats(url: string, subjectPrefix: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    name: `parley-broker:${subjectPrefix}`,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
  });
}

/** Within a grace period each: runs `work` (best-effort goodbyes), then closes the connection. */
export async function closeNats(nc: NatsConnection, work?: () => Promise<unknown>): Promise<void> {
  if (work) await withinGrace(work().catch(() => {}));
  await withinGrace(nc.close().catch(() => {}));
}

async function withinGrace(promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
  clearTimeout(timer);
}
