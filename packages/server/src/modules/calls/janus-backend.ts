import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '../../platform/logger.ts';
import type { MediaBackend } from './media-backend.ts';

export interface JanusOptions {
  /** Janus' HTTP API as clients reach it (`https://janus.example.com/janus`). */
  url: string;
  /** The same API as this server reaches it (inside the cluster). */
  apiUrl: string;
  /**
   * The VideoRoom plugin's `admin_key`: only holders may create rooms. Per-room secrets and
   * join tokens are derived from it, so every Parley node computes the same ones and nothing
   * is stored.
   */
  adminKey: string;
  logger: Logger;
  /** Tests point it at a private server; production uses the global fetch. */
  fetch?: typeof fetch;
}

/** Janus requests give up after this long. */
const REQUEST_TIMEOUT_MS = 5_000;
const PLUGIN = 'janus.plugin.videoroom';
// Janus API errors (janus/apierror.h) and VideoRoom errors (plugins/janus_videoroom.c) acted on.
const NO_SUCH_SESSION = 458;
const NO_SUCH_HANDLE = 459;
const ROOM_EXISTS = 427;
const NO_SUCH_ROOM = 426;
const NO_SUCH_FEED = 428;

interface JanusReply {
  janus: string;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { data: Record<string, unknown> & { error_code?: number; error?: string } };
}

export class JanusError extends Error {
  readonly code: number;
  /** The VideoRoom plugin's own error (the room exists, no such room…), not the transport's. */
  readonly plugin: boolean;
  constructor(code: number, message: string, plugin = false) {
    super(message);
    this.name = 'JanusError';
    this.code = code;
    this.plugin = plugin;
  }
}

/**
 * Janus VideoRoom through Janus' HTTP API: one VideoRoom handle on one session, kept and
 * remade when Janus forgot it (its session timeout). Rooms are private, carry a per-call
 * secret and an `allowed` list: a participant joins only with the token Parley added for
 * them, and is taken off the list (and kicked) when they leave, are kicked or banned.
 *
 * Janus has no per-token grants and no signed webhooks: publishing cannot be limited per
 * participant (see docs/calls.md), and who is in a room is what Parley decided, not what the
 * room reports.
 */
export function createJanusBackend(options: JanusOptions): MediaBackend {
  const apiUrl = options.apiUrl.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const derive = (label: string, value: string) => createHmac('sha256', options.adminKey).update(`${label}\n${value}`).digest('base64url');
  /** Each room's secret: needed to edit its `allowed` list, kick and destroy it. */
  const roomSecret = (room: string) => derive('room-secret', room);
  /** A participant's entry on the room's `allowed` list (their join token). */
  const joinToken = (room: string, identity: string) => derive('join-token', `${room}\n${identity}`);

  let handle: Promise<{ session: number; handle: number }> | null = null;

  async function post(path: string, body: Record<string, unknown>): Promise<JanusReply> {
    const response = await doFetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, transaction: randomBytes(9).toString('base64url') }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw new JanusError(response.status, `Janus answered HTTP ${response.status}`);
    const reply = (await response.json()) as JanusReply;
    if (reply.janus === 'error') throw new JanusError(reply.error?.code ?? 0, `Janus: ${reply.error?.reason ?? 'error'}`);
    return reply;
  }

  async function open(): Promise<{ session: number; handle: number }> {
    const session = (await post('', { janus: 'create' })).data!.id;
    const attached = (await post(`/${session}`, { janus: 'attach', plugin: PLUGIN })).data!.id;
    return { session, handle: attached };
  }

  /** One synchronous VideoRoom request; a plugin error is thrown as a JanusError with its code (`plugin` true). */
  async function request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt += 1) {
      handle ??= open();
      const current = handle;
      try {
        const ids = await current;
        const reply = await post(`/${ids.session}/${ids.handle}`, { janus: 'message', body });
        const data = reply.plugindata?.data ?? {};
        if (typeof data.error_code === 'number') throw new JanusError(data.error_code, `Janus VideoRoom: ${data.error ?? 'error'}`, true);
        return data;
      } catch (error) {
        const pluginError = error instanceof JanusError && error.plugin;
        // Anything but the plugin's answer (Janus forgot the session, restarted, did not answer): the next request opens a new session.
        if (!pluginError && handle === current) handle = null;
        const forgotten = error instanceof JanusError && !error.plugin && (error.code === NO_SUCH_SESSION || error.code === NO_SUCH_HANDLE);
        if (!forgotten || attempt > 0) throw error;
      }
    }
  }

  const ignoring = (...codes: number[]) => (error: unknown) => {
    if (error instanceof JanusError && codes.includes(error.code)) return;
    throw error;
  };

  async function participantsOf(room: string): Promise<{ id: string; display?: string }[]> {
    const data = await request({ request: 'listparticipants', room });
    return (data.participants as { id: string; display?: string }[] | undefined) ?? [];
  }

  return {
    name: 'janus',
    async createRoom(room, { maxParticipants }) {
      await request({
        request: 'create',
        room,
        admin_key: options.adminKey,
        secret: roomSecret(room),
        // Not listed by `list`; joined only with a token Parley put on the list.
        is_private: true,
        allowed: [],
        publishers: maxParticipants,
        permanent: false,
        notify_joining: true,
      }).catch(ignoring(ROOM_EXISTS));
    },
    async deleteRoom(room) {
      await request({ request: 'destroy', room, secret: roomSecret(room), permanent: false }).catch(ignoring(NO_SUCH_ROOM));
    },
    async join(room, identity) {
      const token = joinToken(room, identity);
      await request({ request: 'allowed', room, secret: roomSecret(room), action: 'add', allowed: [token] });
      // The token lasts as long as the room, or until Parley takes it off the list.
      return { url: options.url, token, expiresAt: null };
    },
    async removeParticipant(room, identity) {
      // Off the list first, so they cannot come back (nor subscribe to anyone new)…
      await request({ request: 'allowed', room, secret: roomSecret(room), action: 'remove', allowed: [joinToken(room, identity)] }).catch(ignoring(NO_SUCH_ROOM));
      // …then out of the room: participants join under their Parley id as display name.
      const present = await participantsOf(room).catch((error: unknown) => {
        if (error instanceof JanusError && error.code === NO_SUCH_ROOM) return [];
        throw error;
      });
      for (const p of present.filter((p) => p.display === identity)) {
        await request({ request: 'kick', room, secret: roomSecret(room), id: p.id }).catch(ignoring(NO_SUCH_ROOM, NO_SUCH_FEED));
      }
    },
    receiveWebhook() {
      // Janus has no signed webhooks: nothing from outside is taken as Janus' word.
      return Promise.reject(new Error('Janus sends no webhooks'));
    },
  };
}
