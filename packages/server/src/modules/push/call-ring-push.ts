import type { CallKind } from '@parley/protocol';
import type { Database, PushDeliveriesTable } from '../../platform/db/index.ts';
import { newId } from '../../platform/ids.ts';
import type { Clock } from '../../platform/time.ts';
import type { PushNotification } from './providers/push-provider.ts';
import * as repo from './push.repository.ts';

export interface CallRingPushDeps {
  db: Database;
  clock: Clock;
  /** The users of these who are online on some device now (their sockets ring; no push). */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /** Deliveries were queued: send them now rather than at the next poll. */
  wake(): void;
  /** Platforms a provider is configured for: devices on others are not queued for. */
  platforms: ReadonlySet<string>;
}

export interface CallRing {
  callId: string;
  conversationId: string;
  callerId: string;
  kind: CallKind;
  /** Who is rung (the call's callees). */
  userIds: readonly string[];
  /** When the ring runs out: a notification is useless after it. */
  expiresAt: number;
}

export type CallRingPush = ReturnType<typeof createCallRingPush>;

const ringKey = (callId: string) => `call:${callId}:ring`;
const stopKey = (callId: string) => `call:${callId}:stop`;

/**
 * Rings the devices of callees whose app is closed (no socket anywhere) through the push
 * providers: one high-priority delivery per device, collapsed by the call's id and living
 * only as long as the ring. When the ring stops (answered, declined, missed, ended), rings
 * not sent yet are dropped, and devices that were rung get a "ring stop" with the same
 * collapse key, which replaces the ringing notification where the platform collapses
 * (APNs `apns-collapse-id`, FCM `collapse_key`/`tag`, Web Push `Topic` while undelivered).
 *
 * Deliveries go through the push worker's table, so retries, dead tokens and leases are the
 * messages' own; their keys (`call:<id>:ring` per device) make a second ring a no-op.
 */
export function createCallRingPush({ db, clock, online, wake, platforms }: CallRingPushDeps) {
  const kysely = db.kysely;

  function delivery(device: repo.DeviceRow, eventKey: string, notification: PushNotification, now: number): PushDeliveriesTable {
    return {
      id: newId(now), event_key: eventKey, session_id: device.id, user_id: device.user_id, platform: device.push_platform as PushDeliveriesTable['platform'],
      token: device.push_token!, keys: device.push_keys, payload: JSON.stringify(notification), state: 'pending', attempts: 0, due_at: now,
      claimed_until: null, claimed_by: null, last_error: null, created_at: now, updated_at: now,
    };
  }

  async function devices(userIds: readonly string[], now: number): Promise<repo.DeviceRow[]> {
    const settings = await repo.settingsOf(kysely, userIds);
    // Someone who turned notifications off is not rung by push either.
    const wanted = userIds.filter((id) => settings.get(id)?.enabled !== 0);
    return (await repo.devicesOf(kysely, wanted, now)).filter((d) => platforms.has(d.push_platform ?? '') && (d.push_platform !== 'webpush' || d.push_keys !== null));
  }

  return {
    /** The call started: ring the devices of callees who are offline. */
    async ring(input: CallRing): Promise<number> {
      const now = clock();
      const here = await online(input.userIds);
      const away = input.userIds.filter((id) => !here.has(id));
      if (away.length === 0) return 0;
      const caller = await kysely.selectFrom('users').select('display_name').where('id', '=', input.callerId).executeTakeFirst();
      const notification: PushNotification = {
        title: caller?.display_name ?? 'Someone',
        body: input.kind === 'video' ? 'Incoming video call' : 'Incoming voice call',
        data: { conversationId: input.conversationId, seq: 0, messageId: '', badge: 0, mention: false, kind: 'call_ring', callId: input.callId, callKind: input.kind },
        collapseKey: `call:${input.callId}`,
        ttlSec: Math.max(1, Math.ceil((input.expiresAt - now) / 1000)),
      };
      const rows = (await devices(away, now)).map((device) => delivery(device, ringKey(input.callId), notification, now));
      if (rows.length === 0) return 0;
      await kysely.transaction().execute((trx) => repo.insertDeliveries(trx, rows));
      wake();
      return rows.length;
    },

    /** The ring stopped for these callees: drop rings not sent yet, replace the ones shown. */
    async stop(callId: string, conversationId: string, userIds: readonly string[], reason: string): Promise<void> {
      if (userIds.length === 0) return;
      const now = clock();
      const rung = await kysely.selectFrom('push_deliveries').selectAll().where('event_key', '=', ringKey(callId)).where('user_id', 'in', userIds).execute();
      if (rung.length === 0) return;
      // Not sent (and not being sent) yet: never sent now.
      await kysely.updateTable('push_deliveries')
        .set({ state: 'gone', last_error: `the ring stopped (${reason}) before it was sent`, updated_at: now })
        .where('event_key', '=', ringKey(callId)).where('user_id', 'in', userIds).where('state', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .execute();
      const shown = await kysely.selectFrom('push_deliveries').selectAll().where('event_key', '=', ringKey(callId)).where('user_id', 'in', userIds).where('state', 'in', ['sent', 'pending']).execute();
      if (shown.length === 0) return;
      const notification: PushNotification = {
        title: reason === 'missed' ? 'Missed call' : 'Call ended',
        body: reason === 'answered_elsewhere' ? 'Answered on another device' : reason === 'declined_elsewhere' ? 'Declined' : reason === 'missed' ? 'You missed a call' : 'The call is over',
        data: { conversationId, seq: 0, messageId: '', badge: 0, mention: false, kind: 'call_ring_stop', callId },
        collapseKey: `call:${callId}`,
      };
      const rows = shown.map((row) => delivery({ id: row.session_id, user_id: row.user_id, push_platform: row.platform, push_token: row.token, push_keys: row.keys }, stopKey(callId), notification, now));
      await kysely.transaction().execute((trx) => repo.insertDeliveries(trx, rows));
      wake();
    },
  };
}
