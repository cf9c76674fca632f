import type { Presence } from '@parley/protocol';
import type { EphemeralHeader } from './envelope.ts';
import type { HubSession } from './hub.ts';

/**
 * What the parts of the gateway need of one socket, each as narrow as it can be. The
 * connection implements them all; the parts depend on these, not on the connection, so
 * the gateway has no import loop.
 */

/** Per-socket presence subscriptions (created on first use by the presence watches). */
export interface PresenceWatch {
  onWatched(userId: string, header: EphemeralHeader, frame: Buffer): void;
  /** Reads every verdict again (the viewer's conversations changed). */
  recheckAll(): void;
  clear(): void;
}

/** The socket a request frame came in on, as its handler sees it. */
export interface FrameSession {
  readonly ip: string;
  subscribePresence(userIds: readonly string[]): Promise<Presence[]>;
  unsubscribePresence(userIds: readonly string[]): void;
}

/** A socket that watches other users' presence. */
export interface WatchingSession extends HubSession {
  presence: PresenceWatch | null;
  /** Writes a frame made for this session alone (presence as this viewer may see it). */
  push(frame: object): void;
}
