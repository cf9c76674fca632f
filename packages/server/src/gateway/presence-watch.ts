import type { Presence } from '@parley/protocol';
import { AppError } from '../platform/errors.ts';
import type { PresenceWatch, WatchingSession } from './session.ts';
import type { EphemeralHeader } from './envelope.ts';
import type { Hub } from './hub.ts';

/** Presence as one viewer may see it (privacy settings and blocks applied): the presence module. */
export interface PresenceViewer {
  view(viewerId: string, userIds: readonly string[]): Promise<Presence[]>;
}

/**
 * One socket's presence subscriptions. Presence messages carry the true state once for
 * every node; whether this viewer may see it is decided here, from a verdict read at
 * subscribe time and read again whenever the watched user's privacy or blocks change
 * (a message with `r`) or the viewer leaves a conversation (under "people I share a
 * conversation with" that can end the sharing), so a frame never reaches someone it should not.
 */
class SessionWatch implements PresenceWatch {
  /** Watched user -> may this viewer see them. */
  readonly allowed = new Map<string, boolean>();
  private readonly connection: WatchingSession;
  private readonly viewer: PresenceViewer;

  constructor(connection: WatchingSession, viewer: PresenceViewer) {
    this.connection = connection;
    this.viewer = viewer;
  }

  onWatched(userId: string, header: EphemeralHeader, frame: Buffer): void {
    if (!this.allowed.has(userId)) return;
    if (header.r) {
      void this.recheck(userId);
      return;
    }
    if (this.allowed.get(userId)) this.connection.deliver(frame);
  }

  /** Pushes the fresh view only when the verdict flipped: an unchanged one has nothing new to say. */
  private async recheck(userId: string): Promise<void> {
    try {
      const [view] = await this.viewer.view(this.connection.userId, [userId]);
      if (!view || !this.allowed.has(userId)) return;
      const visible = view.status !== 'hidden';
      const changed = this.allowed.get(userId) !== visible;
      this.allowed.set(userId, visible);
      if (changed) this.connection.push({ t: 'presence', presence: view });
    } catch {
      // The next change or subscribe tells the truth again; a failed read must not reveal anything meanwhile.
      this.allowed.set(userId, false);
    }
  }

  recheckAll(): void {
    for (const userId of this.allowed.keys()) void this.recheck(userId);
  }

  clear(): void {
    this.allowed.clear();
  }
}

export function createPresenceWatches(deps: { hub: Hub; viewer: PresenceViewer; maxPerSession: number }) {
  const { hub, viewer, maxPerSession } = deps;
  return {
    /**
     * Watches first, then reads: a change after the read arrives as a frame, one before
     * it is in the answer, so nothing falls between the two.
     */
    async subscribe(connection: WatchingSession, userIds: readonly string[]): Promise<Presence[]> {
      const watch = (connection.presence ??= new SessionWatch(connection, viewer)) as SessionWatch;
      const fresh = userIds.filter((id) => !watch.allowed.has(id));
      if (watch.allowed.size + fresh.length > maxPerSession) {
        throw new AppError('limit_exceeded', `One connection may watch the presence of at most ${maxPerSession} users.`, { max: maxPerSession });
      }
      for (const id of fresh) watch.allowed.set(id, false);
      await hub.watch(connection, fresh);
      const views = await viewer.view(connection.userId, userIds);
      for (const view of views) if (watch.allowed.has(view.userId)) watch.allowed.set(view.userId, view.status !== 'hidden');
      return views;
    },

    unsubscribe(connection: WatchingSession, userIds: readonly string[]): void {
      const watch = connection.presence as SessionWatch | null;
      if (!watch) return;
      for (const id of userIds) watch.allowed.delete(id);
      hub.unwatch(connection, userIds);
    },
  };
}

export type PresenceWatches = ReturnType<typeof createPresenceWatches>;
