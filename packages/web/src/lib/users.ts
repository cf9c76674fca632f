import type { ParleyClient, User } from '@parley/sdk';

/**
 * Names of the people the viewer sees: taken from everything the store already holds
 * (direct peers, loaded members) and fetched on demand for the rest (e.g. someone who
 * has since left a group). One request per unknown id, however many messages ask.
 */
export class UserDirectory {
  private readonly users = new Map<string, User>();
  private readonly fetching = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private readonly client: ParleyClient;

  constructor(client: ParleyClient) {
    this.client = client;
    client.store.on('change', (conversationId) => this.absorbStore(conversationId));
    // A rename, live: the people one shares a direct conversation or small group with.
    client.on('profile', (user) => this.put(user));
    this.absorbStore(null);
  }

  /** The user, or undefined while it is being fetched. */
  get(id: string): User | undefined {
    if (id === this.client.me?.id) return this.client.me ?? undefined;
    const user = this.users.get(id);
    if (!user && !this.fetching.has(id)) this.fetch(id);
    return user;
  }

  name(id: string): string {
    return this.get(id)?.displayName ?? '…';
  }

  put(user: User): void {
    const known = this.users.get(user.id);
    if (known && known.displayName === user.displayName && known.handle === user.handle) return;
    this.users.set(user.id, user);
    this.changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  private fetch(id: string): void {
    this.fetching.add(id);
    this.client.http.user(id).then(
      ({ user }) => this.put(user),
      () => this.put({ id, handle: null, displayName: 'Unknown user' }),
    ).finally(() => this.fetching.delete(id));
  }

  /** Takes the profiles one conversation (or, for null, every conversation) carries. */
  private absorbStore(conversationId: string | null): void {
    let changed = false;
    const states = conversationId === null ? this.client.store.list() : [this.client.store.get(conversationId)].filter((state) => state !== undefined);
    for (const state of states) {
      const candidates: User[] = [];
      if (state.summary.peer) candidates.push(state.summary.peer);
      // Members added by an event are bare ids until the SDK fetches their profiles.
      if (state.members) for (const member of state.members.values()) if (member.user.handle !== null || member.user.displayName !== member.userId) candidates.push(member.user);
      for (const user of candidates) {
        const known = this.users.get(user.id);
        if (!known || known.displayName !== user.displayName || known.handle !== user.handle) {
          this.users.set(user.id, user);
          changed = true;
        }
      }
    }
    if (changed) this.changed();
  }
}
