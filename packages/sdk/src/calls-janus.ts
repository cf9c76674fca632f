import type { CallMedia } from '@parley/protocol';
import { Emitter } from './emitter.ts';

/** What Parley hands a participant of a call carried by Janus (`media.type === 'janus'`). */
export type JanusCallMedia = Extract<CallMedia, { type: 'janus' }>;

/** Another participant's media, as it arrives. */
export interface RemoteFeed {
  /** Janus' id of their publisher feed. */
  feedId: string;
  /** Their Parley user id (the display name Parley told them to join with). */
  userId: string;
  stream: MediaStream;
  peer: RTCPeerConnection;
}

export type JanusRoomEvents = {
  /** Someone's media is arriving (their tracks are in `stream`). */
  remote: [RemoteFeed];
  /** Someone stopped publishing or left. */
  remoteGone: [{ feedId: string; userId: string }];
  /** Janus put us out (kicked, the room destroyed) or the session was lost. */
  closed: [{ reason: string }];
};

export interface JanusJoinOptions {
  /** What to publish (camera, microphone, screen); none: receive only. */
  stream?: MediaStream | null;
  /** ICE servers and the rest of RTCPeerConnection's options. */
  rtc?: RTCConfiguration;
}

interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { data: Record<string, unknown> };
  jsep?: RTCSessionDescriptionInit;
}

type Publisher = { id: string; display?: string };

/** Janus asks for at most this many events per long poll. */
const MAX_EVENTS = 10;
/** A request that Janus answers through the long poll (join, publish, start) must be answered within this. */
const ASYNC_TIMEOUT_MS = 20_000;

/**
 * A Janus VideoRoom participant over Janus' HTTP API (its long poll for events), with plain
 * WebRTC: one peer connection publishes this device's tracks, one more per other
 * participant receives theirs. Parley decides who may be in the room: `media.token` is on
 * the room's `allowed` list while you are in the call, and `media.display` (your user id) is
 * how Parley finds you to put you out.
 */
export class JanusVideoRoom extends Emitter<JanusRoomEvents> {
  readonly media: JanusCallMedia;
  private readonly rtc: RTCConfiguration;
  private session = 0;
  private publisherHandle = 0;
  private privateId: unknown = undefined;
  private publisherPeer: RTCPeerConnection | null = null;
  private readonly pending = new Map<string, { resolve: (message: JanusMessage) => void; reject: (error: Error) => void }>();
  /** Handle id -> what arrives on it that nobody waits for (publishers joining, leaving). */
  private readonly handlers = new Map<number, (message: JanusMessage) => void>();
  private readonly feeds = new Map<string, { handle: number; userId: string; peer: RTCPeerConnection }>();
  private stopped = false;

  private constructor(media: JanusCallMedia, rtc: RTCConfiguration) {
    super();
    this.media = media;
    this.rtc = rtc;
  }

  /** Joins the call's room, publishes `stream` (if any) and receives everyone else's. */
  static async join(media: JanusCallMedia, options: JanusJoinOptions = {}): Promise<JanusVideoRoom> {
    const room = new JanusVideoRoom(media, options.rtc ?? {});
    try {
      await room.start(options.stream ?? null);
    } catch (error) {
      await room.leave();
      throw error;
    }
    return room;
  }

  /** This device's publishing peer connection (null when receiving only), e.g. for getStats. */
  publisher(): RTCPeerConnection | null {
    return this.publisherPeer;
  }

  /** Everyone we receive, each on its own peer connection. */
  remoteFeeds(): { feedId: string; userId: string; peer: RTCPeerConnection }[] {
    return [...this.feeds].map(([feedId, feed]) => ({ feedId, userId: feed.userId, peer: feed.peer }));
  }

  /** Leaves the room and closes every peer connection. */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const feed of this.feeds.values()) feed.peer.close();
    this.feeds.clear();
    this.publisherPeer?.close();
    for (const { reject } of this.pending.values()) reject(new Error('left the room'));
    this.pending.clear();
    if (this.session) await this.post(`/${this.session}`, { janus: 'destroy' }).catch(() => {});
  }

  private async start(stream: MediaStream | null): Promise<void> {
    this.session = (await this.post('', { janus: 'create' })).data!.id;
    void this.poll();
    this.publisherHandle = await this.attach();
    this.handlers.set(this.publisherHandle, (message) => this.onPublisherEvent(message));
    const joined = await this.send(this.publisherHandle, { request: 'join', ptype: 'publisher', room: this.media.room, token: this.media.token, display: this.media.display });
    const data = joined.plugindata?.data ?? {};
    if (data.videoroom !== 'joined') throw new Error(`Janus refused to join: ${String(data.error ?? JSON.stringify(data))}`);
    this.privateId = data.private_id;
    if (stream) await this.publish(stream);
    for (const publisher of (data.publishers as Publisher[] | undefined) ?? []) void this.subscribe(publisher);
  }

  private async publish(stream: MediaStream): Promise<void> {
    const peer = new RTCPeerConnection(this.rtc);
    this.publisherPeer = peer;
    for (const track of stream.getTracks()) peer.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    this.trickle(peer, this.publisherHandle);
    const offer = await peer.createOffer();
    await peer.setLocalDescription(offer);
    const answer = await this.send(this.publisherHandle, { request: 'publish' }, offer);
    if (!answer.jsep) throw new Error(`Janus did not accept what we publish: ${JSON.stringify(answer.plugindata?.data)}`);
    await peer.setRemoteDescription(answer.jsep);
  }

  private async subscribe(publisher: Publisher): Promise<void> {
    if (this.stopped || this.feeds.has(publisher.id)) return;
    const userId = publisher.display ?? publisher.id;
    const handle = await this.attach();
    const peer = new RTCPeerConnection(this.rtc);
    const stream = new MediaStream();
    this.feeds.set(publisher.id, { handle, userId, peer });
    this.handlers.set(handle, () => {});
    peer.ontrack = (event) => {
      stream.addTrack(event.track);
      this.emit('remote', { feedId: publisher.id, userId, stream, peer });
    };
    this.trickle(peer, handle);
    const attached = await this.send(handle, { request: 'join', ptype: 'subscriber', room: this.media.room, token: this.media.token, private_id: this.privateId, streams: [{ feed: publisher.id }] });
    if (!attached.jsep) throw new Error(`Janus refused the subscription: ${JSON.stringify(attached.plugindata?.data)}`);
    await peer.setRemoteDescription(attached.jsep);
    const answer = await peer.createAnswer();
    await peer.setLocalDescription(answer);
    await this.send(handle, { request: 'start' }, answer);
  }

  private unsubscribe(feedId: string): void {
    const feed = this.feeds.get(feedId);
    if (!feed) return;
    this.feeds.delete(feedId);
    feed.peer.close();
    this.handlers.delete(feed.handle);
    void this.post(`/${this.session}/${feed.handle}`, { janus: 'detach' }).catch(() => {});
    this.emit('remoteGone', { feedId, userId: feed.userId });
  }

  private onPublisherEvent(message: JanusMessage): void {
    const data = message.plugindata?.data ?? {};
    for (const publisher of (data.publishers as Publisher[] | undefined) ?? []) void this.subscribe(publisher);
    for (const key of ['unpublished', 'leaving'] as const) {
      const id = data[key];
      if (typeof id === 'string' || typeof id === 'number') this.unsubscribe(String(id));
    }
    // `leaving: "ok"` is about us (kicked); another participant's leaving names their id.
    if (data.leaving === 'ok' || data.videoroom === 'destroyed') this.close(data.videoroom === 'destroyed' ? 'room destroyed' : String(data.reason ?? 'put out of the room'));
  }

  private close(reason: string): void {
    if (this.stopped) return;
    void this.leave();
    this.emit('closed', { reason });
  }

  /** Our ICE candidates go to Janus as they are found (Janus' own come in its SDP). */
  private trickle(peer: RTCPeerConnection, handle: number): void {
    peer.onicecandidate = (event) => {
      const candidate = event.candidate ? event.candidate.toJSON() : { completed: true };
      void this.post(`/${this.session}/${handle}`, { janus: 'trickle', candidate }).catch(() => {});
    };
  }

  private async attach(): Promise<number> {
    return (await this.post(`/${this.session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data!.id;
  }

  /** A plugin request whose answer comes through the long poll (an `ack` first). */
  private async send(handle: number, body: Record<string, unknown>, jsep?: RTCSessionDescriptionInit): Promise<JanusMessage> {
    const transaction = randomId();
    const answered = new Promise<JanusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new Error(`Janus did not answer ${String(body.request)} in time`));
      }, ASYNC_TIMEOUT_MS);
      this.pending.set(transaction, {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    const reply = await this.post(`/${this.session}/${handle}`, { janus: 'message', body, ...(jsep ? { jsep: { type: jsep.type, sdp: jsep.sdp } } : {}) }, transaction);
    // Some requests are answered at once.
    if (reply.janus === 'success') {
      this.pending.get(transaction)?.resolve(reply);
      this.pending.delete(transaction);
    }
    return answered;
  }

  private async post(path: string, body: Record<string, unknown>, transaction = randomId()): Promise<JanusMessage> {
    // A plain string body: a "simple" cross-origin request, no preflight (Janus reads JSON whatever the type says).
    const response = await fetch(`${this.media.url}${path}`, { method: 'POST', body: JSON.stringify({ ...body, transaction }) });
    const message = (await response.json()) as JanusMessage;
    if (message.janus === 'error') {
      this.pending.delete(transaction);
      throw new Error(`Janus: ${message.error?.reason ?? 'error'} (${message.error?.code ?? '?'})`);
    }
    return message;
  }

  /** Janus' events for the session: answers to our requests, publishers coming and going. */
  private async poll(): Promise<void> {
    while (!this.stopped) {
      let messages: JanusMessage[];
      try {
        const response = await fetch(`${this.media.url}/${this.session}?maxev=${MAX_EVENTS}&rid=${Date.now()}`);
        const body = (await response.json()) as JanusMessage | JanusMessage[];
        messages = Array.isArray(body) ? body : [body];
      } catch (error) {
        if (!this.stopped) this.close(`lost the session: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      for (const message of messages) this.dispatch(message);
    }
  }

  private dispatch(message: JanusMessage): void {
    if (message.janus === 'keepalive' || message.janus === 'ack') return;
    if (message.janus === 'error' && message.error?.code === 458) {
      this.close('the session is gone');
      return;
    }
    const waiting = message.transaction ? this.pending.get(message.transaction) : undefined;
    if (waiting && message.janus === 'event') {
      this.pending.delete(message.transaction!);
      waiting.resolve(message);
      return;
    }
    if (message.janus === 'event' && message.sender !== undefined) this.handlers.get(message.sender)?.(message);
    if (message.janus === 'hangup' && message.sender === this.publisherHandle) this.close('Janus hung up');
  }
}

function randomId(): string {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
