import type { CallSignalFrame, ConversationEvent } from '@parley/sdk';
import type { CallMediaSession } from './call-controller.ts';

/** One other participant as the call window shows them. */
export interface PeerView {
  userId: string;
  stream: MediaStream;
  /** `new` … `connected` … `failed`: the peer connection's state. */
  state: RTCPeerConnectionState;
  speaking: boolean;
  /** Frames arrive on their video track (else the tile shows their picture). */
  hasVideo: boolean;
}

export interface LocalView {
  stream: MediaStream | null;
  muted: boolean;
  cameraOff: boolean;
  sharingScreen: boolean;
  speaking: boolean;
  /** What could not be used (no camera, microphone refused), for a line in the window. */
  problem: string | null;
}

/** What the call window drives, whichever way the media goes (peer to peer, or through Janus). */
export interface CallWindowSession extends CallMediaSession {
  view: { peers: PeerView[]; local: LocalView };
  subscribe(listener: () => void): () => void;
  setMuted(muted: boolean): void;
  setCameraOff(off: boolean): void;
  shareScreen(): Promise<void>;
  stopScreen(): Promise<void>;
  close(): void;
}

/** Another participant's media, however it arrives: the connection it comes on and what their tile shows. */
export interface RemoteMedia {
  userId: string;
  stream: MediaStream;
  pc: RTCPeerConnection;
  speaking: boolean;
  hasVideo: boolean;
}

/** An inbound audio level above this (0–1, as `getStats` reports it) counts as speaking. */
const SPEAKING_LEVEL = 0.02;
const STATS_INTERVAL_MS = 400;

/**
 * The camera and microphone for a call (the microphone alone when the camera cannot be had,
 * nothing when neither can), with a line for the window saying what is missing.
 */
async function openCallDevices(video: boolean): Promise<{ stream: MediaStream | null; problem: string | null }> {
  const attempts: MediaStreamConstraints[] = video ? [{ audio: true, video: true }, { audio: true }] : [{ audio: true }];
  let lastError: unknown = null;
  for (const constraints of attempts) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      const problem = video && stream.getVideoTracks().length === 0 ? 'No camera: the others hear you only' : null;
      return { stream, problem };
    } catch (error) {
      lastError = error;
    }
  }
  return { stream: null, problem: `No microphone: ${(lastError as Error | null)?.message ?? 'not allowed'} (you only listen)` };
}

/** The loudest audio this connection receives and the loudest it sends (its `media-source`), 0 when it cannot tell. */
async function audioLevels(pc: RTCPeerConnection): Promise<{ received: number; sent: number }> {
  const levels = { received: 0, sent: 0 };
  const stats = await pc.getStats().catch(() => null);
  stats?.forEach((report: { type: string; kind?: string; audioLevel?: number }) => {
    if (report.kind !== 'audio') return;
    if (report.type === 'inbound-rtp') levels.received = Math.max(levels.received, report.audioLevel ?? 0);
    if (report.type === 'media-source') levels.sent = Math.max(levels.sent, report.audioLevel ?? 0);
  });
  return levels;
}

/**
 * What the call window sees of a call, whichever way its media goes: this device's camera,
 * microphone and screen, a tile per other participant, who speaks. A subclass brings the
 * connections (`remotes`, `sendVideo`, `closeConnections`) and how they are set up.
 *
 * A base class rather than a helper each session holds: the shared part is the whole
 * `CallWindowSession` surface, which a held helper would make both sessions forward again.
 */
export abstract class CallMediaView implements CallWindowSession {
  readonly callId: string;
  view: { peers: PeerView[]; local: LocalView };
  protected local: MediaStream | null = null;
  protected camera: MediaStreamTrack | null = null;
  protected screen: MediaStreamTrack | null = null;
  protected closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly statsTimer: ReturnType<typeof setInterval>;

  constructor(callId: string) {
    this.callId = callId;
    this.view = { peers: [], local: { stream: null, muted: false, cameraOff: false, sharingScreen: false, speaking: false, problem: null } };
    this.statsTimer = setInterval(() => void this.readLevels(), STATS_INTERVAL_MS);
  }

  abstract onSignal(frame: CallSignalFrame): void;
  abstract onCallEvent(event: ConversationEvent): void;
  /** The other participants' media, in the order of their tiles. */
  protected abstract remotes(): Iterable<RemoteMedia>;
  /** Puts `track` (the screen, the camera, or nothing) on whatever sends this device's video. */
  protected abstract sendVideo(track: MediaStreamTrack | null): Promise<void>;
  /** The session's own part of `close()`: let go of its connections. */
  protected abstract closeConnections(): void;

  /**
   * A connection that sends the microphone besides the remotes' own, read for this device's
   * speaking level. None in a mesh (every peer connection sends it).
   */
  protected ownAudioConnection(): RTCPeerConnection | null {
    return null;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

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

  /** Shares the screen in place of the camera (the same video sender: no renegotiation); stops when the browser's own "stop sharing" is used too. */
  async shareScreen(): Promise<void> {
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) return;
    this.screen = track;
    track.addEventListener('ended', () => void this.stopScreen());
    await this.sendVideo(track);
    this.view.local = { ...this.view.local, sharingScreen: true, stream: new MediaStream([...(this.local?.getAudioTracks() ?? []), track]) };
    this.changed();
  }

  async stopScreen(): Promise<void> {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    screen.stop();
    await this.sendVideo(this.camera);
    this.view.local = { ...this.view.local, sharingScreen: false, stream: this.local };
    this.changed();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    this.closeConnections();
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.screen?.stop();
    this.listeners.clear();
  }

  /** Opens the camera and microphone; false when the session was closed meanwhile (they are stopped again then). */
  protected async openDevices(video: boolean): Promise<boolean> {
    const { stream, problem } = await openCallDevices(video);
    if (this.closed) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      return false;
    }
    this.local = stream;
    this.camera = stream?.getVideoTracks()[0] ?? null;
    this.view.local = { ...this.view.local, stream, problem };
    this.changed();
    return true;
  }

  /** Keeps `remote.hasVideo` current as their video track gets frames or loses them (a sender with nothing on it leaves it muted: the tile shows their picture). */
  protected followVideo(remote: RemoteMedia, track: MediaStreamTrack): void {
    const update = () => {
      remote.hasVideo = remote.stream.getVideoTracks().some((t) => !t.muted && t.readyState === 'live');
      this.publishPeers();
    };
    track.addEventListener('mute', update);
    track.addEventListener('unmute', update);
    track.addEventListener('ended', update);
    update();
  }

  protected problem(text: string): void {
    this.view.local = { ...this.view.local, problem: text };
    this.changed();
  }

  protected publishPeers(): void {
    if (this.closed) return;
    this.view = { ...this.view, peers: [...this.remotes()].map((remote) => ({ userId: remote.userId, stream: remote.stream, state: remote.pc.connectionState, speaking: remote.speaking, hasVideo: remote.hasVideo })) };
    this.changed();
  }

  /** Who is speaking, from `getStats` audio levels (inbound per remote, the microphone's own `media-source` for this device). */
  private async readLevels(): Promise<void> {
    if (this.closed) return;
    let changed = false;
    let localLevel = 0;
    for (const remote of [...this.remotes()]) {
      const levels = await audioLevels(remote.pc);
      localLevel = Math.max(localLevel, levels.sent);
      const speaking = levels.received > SPEAKING_LEVEL;
      if (speaking !== remote.speaking) {
        remote.speaking = speaking;
        changed = true;
      }
    }
    const own = this.ownAudioConnection();
    if (own) localLevel = Math.max(localLevel, (await audioLevels(own)).sent);
    const localSpeaking = !this.view.local.muted && localLevel > SPEAKING_LEVEL;
    if (localSpeaking !== this.view.local.speaking) {
      this.view.local = { ...this.view.local, speaking: localSpeaking };
      changed = true;
    }
    if (changed) this.publishPeers();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
