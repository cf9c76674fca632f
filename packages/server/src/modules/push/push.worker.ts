import type { PushPlatform } from '@parley/protocol';
import type { Database, PushDeliveriesTable, PushOutboxTable } from '../../platform/db/index.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics/index.ts';
import type { Clock } from '../../platform/time.ts';
import { findConversation, totalUnreadOf } from '../conversations/index.ts';
import { notificationContent } from './push-content.ts';
import * as repo from './push.repository.ts';
import type { PushNotification, PushProvider, PushResult } from './providers/push-provider.ts';

export interface PushWorkerOptions {
  /** Outbox rows claimed per round, recipients expanded per page, deliveries claimed per round. */
  batchSize: number;
  /** Sends in flight at once. */
  concurrency: number;
  /** Attempts per delivery before it is recorded as dead. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the outbox is looked at when nothing woke the worker. */
  pollMs: number;
  /** A claim not finished within this is taken over by another node (its node died). */
  leaseMs: number;
  /** Sent and gone deliveries are forgotten after this; dead ones after ten times as long. */
  retentionMs: number;
}

export interface PushWorkerDeps {
  db: Database;
  providers: ReadonlyMap<PushPlatform, PushProvider>;
  /** The users of these who are online on some device now. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  nodeId: string;
  options: PushWorkerOptions;
}

export type PushWorker = ReturnType<typeof createPushWorker>;

/** How often gauges are read from the database and old rows pruned. */
const HOUSEKEEPING_MS = 5_000;

/** Exponential backoff with jitter (between half and all of the step), never before the provider's Retry-After. */
export function retryDelay(attempts: number, base: number, max: number, retryAfterMs: number | undefined, random = Math.random): number {
  const step = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  const backoff = Math.round(step / 2 + (random() * step) / 2);
  return Math.max(backoff, retryAfterMs ?? 0);
}

/**
 * Drains the push outbox: expands each message into one delivery per (event, device) for
 * the recipients who should hear of it, then sends deliveries through the providers.
 *
 * At least once, never twice in the normal course: a delivery's key (event, device) is
 * unique, so an outbox row expanded again adds nothing, and a stop waits for the sends in
 * flight and records them before it returns (rows claimed but not started are given back).
 * Only a node that dies between a provider's answer and the commit of its record sends
 * that notification again, once its lease ends.
 */
export function createPushWorker({ db, providers, online, clock, logger, metrics, nodeId, options }: PushWorkerDeps) {
  const kysely = db.kysely;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  let lastHousekeeping = 0;

  /**
   * Expands one outbox row. 'nothing' when it turned out to notify nobody (the common case:
   * everyone online, or no devices): the caller deletes those rows together, one statement
   * for the round rather than a transaction each.
   */
  async function expand(row: PushOutboxTable): Promise<'done' | 'nothing'> {
    // Who has a device at all is asked first: most messages (everyone without an app, or a
    // conversation of web users) stop here, after one query.
    let cursor = row.cursor;
    let first: repo.Recipient[] | null = await repo.recipientPage(db.dialect, kysely, row.conversation_id, row.sender_id, cursor, options.batchSize, clock());
    if (first.length === 0 && cursor === null) return 'nothing';
    const message = await kysely.selectFrom('messages').select(['text', 'deleted_at', 'mentions', 'sender_id']).where('id', '=', row.message_id).executeTakeFirst();
    const conversation = await findConversation(kysely, row.conversation_id);
    // Deleted before anyone was told: nobody is told.
    if (!message || message.deleted_at !== null || message.text === null || !conversation) return 'nothing';
    const sender = await kysely.selectFrom('users').select('display_name').where('id', '=', row.sender_id).executeTakeFirst();
    const mentions = new Set<string>(message.mentions ? (JSON.parse(message.mentions) as string[]) : []);
    for (;;) {
      if (stopped) {
        await repo.releaseOutbox(kysely, row.id, nodeId);
        return 'done';
      }
      const now = clock();
      const page = first ?? (await repo.recipientPage(db.dialect, kysely, row.conversation_id, row.sender_id, cursor, options.batchSize, now));
      first = null;
      const ids = page.map((recipient) => recipient.user_id);
      const [settings, conversationSettings, here] = await Promise.all([repo.settingsOf(kysely, ids), repo.conversationSettingsOf(kysely, row.conversation_id, ids), online(ids)]);
      const chosen = new Map<string, boolean>();
      for (const { user_id: userId, role } of page) {
        const mine = settings.get(userId);
        if (mine && !mine.enabled) continue;
        const mentioned = mentions.has(userId);
        const own = conversationSettings.get(userId);
        // Channels start muted for their subscribers; everyone else hears everything until they choose.
        let mode = own?.mode ?? (conversation.kind === 'channel' && role === 'subscriber' ? 'muted' : 'all');
        if (mode === 'muted' && own?.muted_until !== null && own?.muted_until !== undefined && own.muted_until <= now) mode = 'all';
        if (mode === 'muted' || (mode === 'mentions' && !mentioned)) continue;
        // Online on any device: the socket told them already.
        if (here.has(userId)) continue;
        chosen.set(userId, (mine ? mine.previews === 1 : true) && !conversation.protected_content);
      }
      const devices = (await repo.devicesOf(kysely, [...chosen.keys()], now)).filter((device) => providers.has(device.push_platform as PushPlatform) && (device.push_platform !== 'webpush' || device.push_keys !== null));
      const badges = await totalUnreadOf(kysely, [...new Set(devices.map((device) => device.user_id))]);
      const eventKey = `${row.conversation_id}:${row.seq}`;
      const deliveries: PushDeliveriesTable[] = devices.map((device) => {
        const content = notificationContent({
          kind: conversation.kind,
          conversationTitle: conversation.title,
          senderName: sender?.display_name ?? 'Someone',
          text: message.text!,
          previews: chosen.get(device.user_id)!,
          data: { conversationId: row.conversation_id, seq: row.seq, messageId: row.message_id, badge: badges.get(device.user_id) ?? 0, mention: mentions.has(device.user_id) },
        });
        return {
          id: newId(now), event_key: eventKey, session_id: device.id, user_id: device.user_id, platform: device.push_platform as PushPlatform,
          token: device.push_token!, keys: device.push_keys, payload: JSON.stringify(content), state: 'pending', attempts: 0, due_at: now,
          claimed_until: null, claimed_by: null, last_error: null, created_at: now, updated_at: now,
        };
      });
      const last = page.at(-1)?.user_id;
      const done = page.length < options.batchSize || last === undefined;
      if (done && deliveries.length === 0 && cursor === null) return 'nothing';
      await kysely.transaction().execute(async (trx) => {
        await repo.insertDeliveries(trx, deliveries);
        if (done) await repo.deleteOutbox(trx, row.id);
        else await repo.advanceOutbox(trx, row.id, last, clock() + options.leaseMs);
      });
      if (done) return 'done';
      cursor = last;
    }
  }

  interface Outcome {
    row: PushDeliveriesTable;
    result: PushResult;
  }

  async function record(outcomes: Outcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const now = clock();
    await kysely.transaction().execute(async (trx) => {
      // The common case, every send accepted, is one statement for the batch.
      const sent = outcomes.filter(({ result }) => result.kind === 'sent');
      for (const { row } of sent) metrics.push.sent.inc({ provider: row.platform });
      await repo.markSent(trx, sent.map(({ row }) => row.id), now);
      for (const { row, result } of outcomes) {
        const provider = row.platform;
        const attempts = row.attempts + 1;
        if (result.kind === 'sent') continue;
        if (result.kind === 'gone') {
          metrics.push.deadTokens.inc({ provider });
          await repo.finishDelivery(trx, row.id, { state: 'gone', attempts, last_error: result.reason }, now);
          await repo.removeToken(trx, row.token, now);
        } else if (result.kind === 'retry' && attempts < options.maxAttempts) {
          metrics.push.failed.inc({ provider });
          metrics.push.retried.inc({ provider });
          const due = now + retryDelay(attempts, options.retryBaseMs, options.retryMaxMs, result.retryAfterMs);
          await repo.finishDelivery(trx, row.id, { attempts, due_at: due, last_error: result.reason }, now);
        } else {
          metrics.push.failed.inc({ provider });
          metrics.push.dead.inc({ provider });
          logger.warn({ provider, deliveryId: row.id, reason: result.reason, attempts }, 'push delivery given up');
          await repo.finishDelivery(trx, row.id, { state: 'dead', attempts, last_error: result.reason }, now);
        }
      }
    });
  }

  async function send(rows: PushDeliveriesTable[]): Promise<void> {
    const registered = await repo.stillRegistered(kysely, rows, clock());
    const outcomes: Outcome[] = [];
    const unstarted: string[] = [];
    const queue: PushDeliveriesTable[] = [];
    for (const row of rows) {
      // Signed out or the token moved since the message was expanded: nothing to send to.
      if (!registered.has(row.id)) await repo.finishDelivery(kysely, row.id, { state: 'gone', last_error: 'the device no longer holds this token' }, clock());
      else queue.push(row);
    }
    async function lane(): Promise<void> {
      for (let row = queue.shift(); row; row = queue.shift()) {
        if (stopped) {
          unstarted.push(row.id);
          continue;
        }
        const provider = providers.get(row.platform);
        if (!provider) {
          outcomes.push({ row, result: { kind: 'failed', reason: `no ${row.platform} provider is configured` } });
          continue;
        }
        const notification = JSON.parse(row.payload) as PushNotification;
        const keys = row.keys ? (JSON.parse(row.keys) as { p256dh: string; auth: string }) : null;
        let result: PushResult;
        try {
          result = await provider.send({ token: row.token, keys }, notification);
        } catch (error) {
          result = { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
        }
        outcomes.push({ row, result });
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, lane));
    await record(outcomes);
    await repo.releaseDeliveries(kysely, unstarted, nodeId);
  }

  async function housekeeping(): Promise<void> {
    const now = clock();
    if (now - lastHousekeeping < HOUSEKEEPING_MS) return;
    lastHousekeeping = now;
    await repo.prune(kysely, now - options.retentionMs, now - options.retentionMs * 10, 1000);
    const stats = await repo.outboxStats(kysely, now);
    metrics.push.observe(stats);
  }

  /** One round: expand what is due, send what is due. True when there was something to do. */
  async function tick(): Promise<boolean> {
    const now = clock();
    const outbox = await repo.claimOutbox(kysely, db.dialect, now, now + options.leaseMs, nodeId, options.batchSize);
    const nobody: string[] = [];
    for (const row of outbox) if ((await expand(row)) === 'nothing') nobody.push(row.id);
    await repo.deleteOutboxRows(kysely, nobody);
    const deliveries = stopped ? [] : await repo.claimDeliveries(kysely, db.dialect, clock(), clock() + options.leaseMs, nodeId, options.batchSize);
    if (deliveries.length > 0) await send(deliveries);
    await housekeeping();
    return outbox.length + deliveries.length > 0;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    const at = Date.now() + delayMs;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(run, delayMs);
    timer.unref();
  }

  function run(): void {
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        while (!stopped && (await tick()));
      } catch (error) {
        logger.warn({ err: error }, 'push outbox round failed');
      } finally {
        running = null;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(options.pollMs);
      }
    })();
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    /** Something was queued that is due in `afterMs`: look then rather than at the next poll. */
    wake(afterMs = 0): void {
      schedule(afterMs);
    },
    /** Stops taking work; resolves once the sends in flight are recorded. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    /** For tests and the bench: the outbox as the gauges see it. */
    stats: () => repo.outboxStats(kysely, clock()),
  };
}
