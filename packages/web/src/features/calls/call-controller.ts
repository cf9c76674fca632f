import type { Call, CallJoinResponse, CallKind, CallMedia, CallSignalFrame, ConversationEvent, IncomingCall, ParleyClient } from '@parley/sdk';

/** The call this device is in (one at a time, as the server allows). */
export interface ActiveCall {
  call: Call;
  /** How this device reaches the media (ICE servers of a 1:1 or mesh call, or a backend's room). */
  media: CallMedia | null;
  /** User ids in the order they joined: between two participants, the one who joined first sends the offer. */
  joinOrder: string[];
}

/** What the media side (the lazy call window) takes signals and call events from. */
export interface CallMediaSession {
  readonly callId: string;
  onSignal(frame: CallSignalFrame): void;
  onCallEvent(event: ConversationEvent): void;
}

/** Signals held for a call whose media session is not up yet (the peer's offer can beat the call window's chunk). */
const BUFFERED_SIGNALS_MAX = 500;

const ENDED_TEXT: Record<string, string> = {
  declined: 'Call declined',
  no_answer: 'No answer',
  busy: 'They are in another call',
  cancelled: 'Call cancelled',
  caller_gone: 'Call cancelled',
  removed: 'Call ended',
  media_ended: 'Call ended',
  hangup: 'Call ended',
};

/**
 * The calls of this device, for the UI: what rings here, the call it is in, and the
 * commands (start, accept, decline, join, leave, end). Lives in the first chunk because
 * ringing must work before any call UI was loaded; the media (WebRTC) lives in the call
 * window's chunk and attaches itself as a `CallMediaSession`.
 */
export class CallController {
  private readonly client: ParleyClient;
  private listeners = new Set<() => void>();
  private readonly offs: Array<() => void> = [];
  private buffered: CallSignalFrame[] = [];
  private session: CallMediaSession | null = null;
  incoming: IncomingCall[] = [];
  active: ActiveCall | null = null;
  /** Why the last call ended, for a notice ("No answer"); a new object per ending, so the UI says it once. */
  lastEnded: { text: string } | null = null;
  /** Bumped on every change, so React re-renders from `useSyncExternalStore`. */
  version = 0;

  constructor(client: ParleyClient) {
    this.client = client;
    this.incoming = client.ringingCalls();
    this.offs.push(
      client.on('callRing', (ring) => {
        this.incoming = [...this.incoming.filter((entry) => entry.call.id !== ring.call.id), ring];
        this.changed();
      }),
      client.on('callRingStop', (stop) => {
        this.incoming = this.incoming.filter((entry) => entry.call.id !== stop.callId);
        this.changed();
      }),
      client.on('callSignal', (frame) => {
        if (this.session?.callId === frame.callId) this.session.onSignal(frame);
        else if (this.active?.call.id === frame.callId) this.buffered = [...this.buffered, frame].slice(-BUFFERED_SIGNALS_MAX);
      }),
      client.on('event', (event) => this.onEvent(event)),
    );
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  dispose(): void {
    for (const off of this.offs) off();
    this.listeners.clear();
  }

  meId(): string | null {
    return this.client.me?.id ?? null;
  }

  async start(conversationId: string, kind: CallKind): Promise<void> {
    this.enter(await this.client.startCall(conversationId, kind));
  }

  async accept(callId: string): Promise<void> {
    this.enter(await this.client.acceptCall(callId));
  }

  async decline(callId: string): Promise<void> {
    this.incoming = this.incoming.filter((entry) => entry.call.id !== callId);
    this.changed();
    await this.client.declineCall(callId);
  }

  async join(callId: string): Promise<void> {
    this.enter(await this.client.joinCall(callId));
  }

  /** Leaves the call (a 1:1 call ends for both); the UI closes at once, whatever the server answers. */
  async leave(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.close(null);
    await this.client.leaveCall(active.call.id);
  }

  async endForEveryone(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.close(null);
    await this.client.endCall(active.call.id);
  }

  /** The call window's media session: takes the signals that arrived before it, then every new one. */
  attach(session: CallMediaSession): () => void {
    this.session = session;
    const held = this.buffered.filter((frame) => frame.callId === session.callId);
    this.buffered = [];
    for (const frame of held) session.onSignal(frame);
    return () => {
      if (this.session === session) this.session = null;
    };
  }

  private enter(answer: CallJoinResponse): void {
    const joined = answer.call.participants.filter((p) => p.state === 'joined' && p.joinedAt !== null);
    joined.sort((a, b) => Date.parse(a.joinedAt!) - Date.parse(b.joinedAt!) || (a.userId < b.userId ? -1 : 1));
    this.incoming = this.incoming.filter((entry) => entry.call.id !== answer.call.id);
    if (this.active?.call.id !== answer.call.id) this.buffered = [];
    this.active = { call: answer.call, media: answer.media, joinOrder: joined.map((p) => p.userId) };
    this.lastEnded = null;
    this.changed();
  }

  private close(reason: string | null): void {
    this.active = null;
    this.buffered = [];
    this.lastEnded = reason === null ? null : { text: reason };
    this.changed();
  }

  /** Keeps the active call's participants current from its conversation's log, and closes it on `call.ended`. */
  private onEvent(event: ConversationEvent): void {
    const active = this.active;
    if (!active || !event.type.startsWith('call.') || event.conversationId !== active.call.conversationId) return;
    const data = event.data as { callId?: string; userId?: string };
    if (data.callId !== active.call.id) return;
    this.session?.onCallEvent(event);
    const participants = [...active.call.participants];
    const setState = (userId: string, state: Call['participants'][number]['state'], joinedAt: string | null) => {
      const at = participants.findIndex((p) => p.userId === userId);
      const next = { userId, state, joinedAt: joinedAt ?? participants[at]?.joinedAt ?? null };
      if (at >= 0) participants[at] = next;
      else participants.push(next);
    };
    let joinOrder = active.joinOrder;
    switch (event.type) {
      case 'call.joined':
        setState(event.data.userId, 'joined', event.createdAt);
        joinOrder = [...joinOrder.filter((id) => id !== event.data.userId), event.data.userId];
        break;
      case 'call.left':
        setState(event.data.userId, 'left', null);
        joinOrder = joinOrder.filter((id) => id !== event.data.userId);
        if (event.data.userId === this.meId()) return this.close('You left the call');
        break;
      case 'call.declined':
        setState(event.data.userId, 'declined', null);
        break;
      case 'call.ended':
        return this.close(ENDED_TEXT[event.data.reason] ?? 'Call ended');
      default:
        break;
    }
    const state = active.call.state === 'ringing' && event.type === 'call.joined' ? 'active' : active.call.state;
    this.active = { ...active, call: { ...active.call, state, participants }, joinOrder };
    this.changed();
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}
