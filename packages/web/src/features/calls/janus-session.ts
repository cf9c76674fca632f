import { type JanusCallMedia, JanusVideoRoom, type ParleyClient, type RemoteFeed } from '@parley/sdk';
import type { ActiveCall } from './call-controller.ts';
import { type CallWindowSession, type LocalView, openCallDevices, type PeerView, SPEAKING_LEVEL, STATS_INTERVAL_MS } from './call-session.ts';

interface Feed {
  userId: string;
  stream: MediaStream;
  peer: RTCPeerConnection;
  speaking: boolean;
  hasVideo: boolean;
}

/**
 * The media of a group call carried by Janus VideoRoom (`media.type === 'janus'`): the SDK's
 * `JanusVideoRoom` publishes this device's camera and microphone on one peer connection and
 * receives each other publisher on one more. Janus, not the Parley socket, tells who
 * publishes, so call signals and call events are not needed here; Parley puts people out of
 * the room (their token is taken off its list) when they leave or are removed.
 *
 * The publisher's feed carries the camera from the start, so **Mute** and **Camera off**
 * disable tracks and **Share screen** swaps the track on the same sender: no renegotiation.
 */
export class JanusCallSession implements CallWindowSession {
  readonly callId: string;
  private readonly media: JanusCallMedia;
  private readonly feeds = new Map<string, Feed>();
  private readonly listeners = new Set<() => void>();
  private room: JanusVideoRoom | null = null;
  private local: MediaStream | null = null;
  private camera: MediaStreamTrack | null = null;
  private screen: MediaStreamTrack | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  view: { peers: PeerView[]; local: LocalView };

  constructor(_client: ParleyClient, active: ActiveCall) {
    this.callId = active.call.id;
    this.media = active.media as JanusCallMedia;
    this.view = { peers: [], local: { stream: null, muted: false, cameraOff: false, sharingScreen: false, speaking: false, problem: null } };
    void this.start(active.call.kind === 'video');
    this.statsTimer = setInterval(() => void this.readLevels(), STATS_INTERVAL_MS);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Janus' own events say who publishes; nothing comes over the Parley socket for this call's media. */
  onSignal(): void {}
  onCallEvent(): void {}

  setMuted(muted: boolean): void {
    for (const track of this.local?.getAudioTracks() ?? []) track.enabled = !muted;
    this.view.local = { ...this.view.local, muted };
    this.changed();
  }

  setCameraOff(off: boolean): void {
    if (this.camera) this.camera.enabled = !off;
    this.view.local = { ...this.view.local, cameraOff: off };
    this.changed();
  }

  async shareScreen(): Promise<void> {
    const sender = this.videoSender();
    if (!sender) throw new Error('this device publishes no video in this call');
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) return;
    this.screen = track;
    track.addEventListener('ended', () => void this.stopScreen());
    await sender.replaceTrack(track);
    this.view.local = { ...this.view.local, sharingScreen: true, stream: new MediaStream([...(this.local?.getAudioTracks() ?? []), track]) };
    this.changed();
  }

  async stopScreen(): Promise<void> {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    screen.stop();
    await this.videoSender()?.replaceTrack(this.camera);
    this.view.local = { ...this.view.local, sharingScreen: false, stream: this.local };
    this.changed();
  }

  /** Leaves the Janus room (its peer connections close) and stops the camera and microphone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    void this.room?.leave();
    this.feeds.clear();
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.screen?.stop();
    this.listeners.clear();
  }

  private async start(video: boolean): Promise<void> {
    const { stream, problem } = await openCallDevices(video);
    this.local = stream;
    this.camera = stream?.getVideoTracks()[0] ?? null;
    if (this.closed) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      return;
    }
    this.view.local = { ...this.view.local, stream, problem };
    this.changed();
    try {
      const room = await JanusVideoRoom.join(this.media, { stream });
      if (this.closed) {
        await room.leave();
        return;
      }
      this.room = room;
      room.on('remote', (feed) => this.onRemote(feed));
      room.on('remoteGone', ({ feedId }) => {
        this.feeds.delete(feedId);
        this.publishPeers();
      });
      // Listening from here loses nothing: tracks arrive only after a subscription's own round trips to Janus.
      room.on('closed', ({ reason }) => this.problem(`The media server dropped this device: ${reason}`));
    } catch (error) {
      if (!this.closed) this.problem(`Could not join the call’s media: ${(error as Error).message}`);
    }
  }

  /** A remote track arrived (once per track; the feed's stream collects them). */
  private onRemote({ feedId, userId, stream, peer }: RemoteFeed): void {
    if (this.closed) return;
    let feed = this.feeds.get(feedId);
    if (!feed) {
      feed = { userId, stream, peer, speaking: false, hasVideo: false };
      this.feeds.set(feedId, feed);
      this.watchPeer(peer);
    }
    const current = feed;
    for (const track of stream.getVideoTracks()) {
      // A publisher without a camera, or one not decoding yet: the tile shows their picture.
      const update = () => {
        current.hasVideo = current.stream.getVideoTracks().some((t) => !t.muted && t.readyState === 'live');
        this.publishPeers();
      };
      track.addEventListener('mute', update);
      track.addEventListener('unmute', update);
      track.addEventListener('ended', update);
      update();
    }
    this.publishPeers();
  }

  private watchPeer(peer: RTCPeerConnection): void {
    peer.addEventListener('connectionstatechange', () => this.publishPeers());
  }

  private videoSender(): RTCRtpSender | null {
    return this.room?.publisher()?.getSenders().find((sender) => sender.track?.kind === 'video') ?? null;
  }

  /** Who is speaking, from `getStats` audio levels (inbound per feed, the microphone's own on the publisher). */
  private async readLevels(): Promise<void> {
    if (this.closed) return;
    let changed = false;
    for (const feed of [...this.feeds.values()]) {
      let level = 0;
      const stats = await feed.peer.getStats().catch(() => null);
      stats?.forEach((report: { type: string; kind?: string; audioLevel?: number }) => {
        if (report.type === 'inbound-rtp' && report.kind === 'audio') level = Math.max(level, report.audioLevel ?? 0);
      });
      const speaking = level > SPEAKING_LEVEL;
      if (speaking !== feed.speaking) {
        feed.speaking = speaking;
        changed = true;
      }
    }
    let localLevel = 0;
    const own = await this.room?.publisher()?.getStats().catch(() => null);
    own?.forEach((report: { type: string; kind?: string; audioLevel?: number }) => {
      if (report.type === 'media-source' && report.kind === 'audio') localLevel = Math.max(localLevel, report.audioLevel ?? 0);
    });
    const localSpeaking = !this.view.local.muted && localLevel > SPEAKING_LEVEL;
    if (localSpeaking !== this.view.local.speaking) {
      this.view.local = { ...this.view.local, speaking: localSpeaking };
      changed = true;
    }
    if (changed) this.publishPeers();
  }

  private problem(text: string): void {
    this.view.local = { ...this.view.local, problem: text };
    this.changed();
  }

  private publishPeers(): void {
    if (this.closed) return;
    this.view = { ...this.view, peers: [...this.feeds.values()].map((feed) => ({ userId: feed.userId, stream: feed.stream, state: feed.peer.connectionState, speaking: feed.speaking, hasVideo: feed.hasVideo })) };
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
