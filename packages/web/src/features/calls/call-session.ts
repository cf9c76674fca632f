import type { CallSignal, CallSignalFrame, ConversationEvent, IceServer, ParleyClient } from '@parley/sdk';
import type { ActiveCall, CallMediaSession } from './call-controller.ts';

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

/**
 * The camera and microphone for a call (the microphone alone when the camera cannot be had,
 * nothing when neither can), with a line for the window saying what is missing.
 */
export async function openCallDevices(video: boolean): Promise<{ stream: MediaStream | null; problem: string | null }> {
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

/** An inbound audio level above this (0–1, as `getStats` reports it) counts as speaking. */
export const SPEAKING_LEVEL = 0.02;
export const STATS_INTERVAL_MS = 400;

interface Peer {
  userId: string;
  pc: RTCPeerConnection;
  stream: MediaStream;
  /** Candidates that came before the description they belong to. */
  pendingCandidates: RTCIceCandidateInit[];
  speaking: boolean;
  hasVideo: boolean;
}


/**
 * The media of a peer-to-peer call (1:1, or a small group as a mesh): one
 * RTCPeerConnection per other participant, signaling over the Parley socket
 * (`sendCallSignal`), ICE servers from the call's `media` (TURN credentials included).
 *
 * Who offers: between two participants, the one who joined first, when it hears the other
 * join (docs/calls.md's flow: the callee accepts, the caller sends the offer). Every
 * connection carries one audio and one video transceiver from the start, so muting, the
 * camera and screen sharing only swap or disable tracks and never renegotiate.
 */
export class P2PCallSession implements CallWindowSession {
  readonly callId: string;
  private readonly client: ParleyClient;
  private readonly meId: string;
  private readonly iceServers: IceServer[];
  private readonly relayOnly: boolean;
  private readonly peers = new Map<string, Peer>();
  private readonly listeners = new Set<() => void>();
  private local: MediaStream | null = null;
  private camera: MediaStreamTrack | null = null;
  private screen: MediaStreamTrack | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private ready: Promise<void>;
  view: { peers: PeerView[]; local: LocalView };

  constructor(client: ParleyClient, active: ActiveCall, options: { relayOnly: boolean }) {
    this.client = client;
    this.callId = active.call.id;
    this.meId = client.me?.id ?? '';
    this.iceServers = active.media?.type === 'p2p' ? active.media.iceServers : [];
    this.relayOnly = options.relayOnly;
    this.view = { peers: [], local: { stream: null, muted: false, cameraOff: false, sharingScreen: false, speaking: false, problem: null } };
    this.ready = this.openDevices(active.call.kind === 'video');
    // Participants who joined after this device (coming back to a call, or a fast answer
    // that beat the window) are offered to now; later ones when their `call.joined` arrives.
    void this.ready.then(() => {
      const after = active.joinOrder.slice(active.joinOrder.indexOf(this.meId) + 1);
      if (active.joinOrder.includes(this.meId)) for (const userId of after) void this.offer(userId);
    });
    this.statsTimer = setInterval(() => void this.readLevels(), STATS_INTERVAL_MS);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onCallEvent(event: ConversationEvent): void {
    if (event.type === 'call.joined' && event.data.userId !== this.meId) {
      // Someone (re)joined after us: a connection from before is stale.
      this.dropPeer(event.data.userId);
      void this.ready.then(() => this.offer(event.data.userId));
    } else if (event.type === 'call.left') {
      this.dropPeer(event.data.userId);
    }
  }

  onSignal(frame: CallSignalFrame): void {
    void this.ready.then(() => this.handleSignal(frame.from, frame.signal)).catch((error: unknown) => this.problem(`Could not connect: ${(error as Error).message}`));
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
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const userId of [...this.peers.keys()]) this.dropPeer(userId);
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.screen?.stop();
    this.listeners.clear();
  }

  private async openDevices(video: boolean): Promise<void> {
    const { stream, problem } = await openCallDevices(video);
    this.local = stream;
    if (this.closed) {
      for (const track of this.local?.getTracks() ?? []) track.stop();
      return;
    }
    this.camera = this.local?.getVideoTracks()[0] ?? null;
    this.view.local = { ...this.view.local, stream: this.local, problem };
    this.changed();
  }

  private newPeer(userId: string): Peer {
    const existing = this.peers.get(userId);
    if (existing) return existing;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.relayOnly ? 'relay' : 'all' });
    const peer: Peer = { userId, pc, stream: new MediaStream(), pendingCandidates: [], speaking: false, hasVideo: false };
    this.peers.set(userId, peer);
    pc.addEventListener('icecandidate', (event) => {
      const candidate = event.candidate;
      const signal: CallSignal = candidate
        ? { type: 'candidate', candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex, usernameFragment: candidate.usernameFragment }
        : { type: 'candidate', candidate: '' };
      this.send(userId, signal);
    });
    pc.addEventListener('track', (event) => {
      const track = event.track;
      peer.stream.addTrack(track);
      if (track.kind === 'video') {
        // A transceiver with nothing sent stays muted: the tile shows the picture instead.
        const update = () => {
          peer.hasVideo = !track.muted && track.readyState === 'live';
          this.publishPeers();
        };
        track.addEventListener('mute', update);
        track.addEventListener('unmute', update);
        track.addEventListener('ended', update);
        update();
      }
      this.publishPeers();
    });
    pc.addEventListener('connectionstatechange', () => this.publishPeers());
    this.publishPeers();
    return peer;
  }

  /** We joined first: open the connection with one audio and one video transceiver, and offer. */
  private async offer(userId: string): Promise<void> {
    if (this.closed || this.peers.has(userId)) return;
    const peer = this.newPeer(userId);
    const audio = this.local?.getAudioTracks()[0];
    peer.pc.addTransceiver(audio ?? 'audio', { direction: 'sendrecv', ...(this.local ? { streams: [this.local] } : {}) });
    peer.pc.addTransceiver(this.screen ?? this.camera ?? 'video', { direction: 'sendrecv', ...(this.local ? { streams: [this.local] } : {}) });
    await peer.pc.setLocalDescription(await peer.pc.createOffer());
    this.send(userId, { type: 'offer', sdp: peer.pc.localDescription!.sdp });
  }

  private async handleSignal(from: string, signal: CallSignal): Promise<void> {
    if (this.closed) return;
    if (signal.type === 'offer') {
      // A new offer from them starts over (they rejoined, or restarted).
      if (this.peers.has(from)) this.dropPeer(from);
      const peer = this.newPeer(from);
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
      for (const transceiver of peer.pc.getTransceivers()) {
        const kind = transceiver.receiver.track.kind;
        const track = kind === 'audio' ? this.local?.getAudioTracks()[0] : (this.screen ?? this.camera);
        if (track) await transceiver.sender.replaceTrack(track);
        if (this.local) transceiver.sender.setStreams?.(this.local);
        transceiver.direction = 'sendrecv';
      }
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      this.send(from, { type: 'answer', sdp: peer.pc.localDescription!.sdp });
      await this.flushCandidates(peer);
    } else if (signal.type === 'answer') {
      const peer = this.peers.get(from);
      if (!peer || peer.pc.signalingState !== 'have-local-offer') return;
      await peer.pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
      await this.flushCandidates(peer);
    } else {
      const peer = this.peers.get(from);
      if (!peer) return;
      const candidate: RTCIceCandidateInit = { candidate: signal.candidate, sdpMid: signal.sdpMid ?? null, sdpMLineIndex: signal.sdpMLineIndex ?? null, ...(signal.usernameFragment ? { usernameFragment: signal.usernameFragment } : {}) };
      if (!peer.pc.remoteDescription) peer.pendingCandidates.push(candidate);
      else await peer.pc.addIceCandidate(candidate).catch(() => {});
    }
  }

  private async flushCandidates(peer: Peer): Promise<void> {
    const pending = peer.pendingCandidates.splice(0);
    for (const candidate of pending) await peer.pc.addIceCandidate(candidate).catch(() => {});
  }

  private async sendVideo(track: MediaStreamTrack | null): Promise<void> {
    for (const peer of this.peers.values()) {
      const sender = peer.pc.getTransceivers().find((t) => t.receiver.track.kind === 'video')?.sender;
      await sender?.replaceTrack(track);
    }
  }

  private send(to: string, signal: CallSignal): void {
    if (this.closed) return;
    this.client.sendCallSignal(this.callId, to, signal).catch(() => {
      // Not in the call any more, or rate-limited: the call's events tell the window what happened.
    });
  }

  private dropPeer(userId: string): void {
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    peer.pc.close();
    this.publishPeers();
  }

  /** Who is speaking, from `getStats` audio levels (inbound per peer, the microphone's own for this device). */
  private async readLevels(): Promise<void> {
    if (this.closed) return;
    let changed = false;
    let localLevel = 0;
    for (const peer of [...this.peers.values()]) {
      let level = 0;
      const stats = await peer.pc.getStats().catch(() => null);
      stats?.forEach((report: { type: string; kind?: string; audioLevel?: number }) => {
        if (report.type === 'inbound-rtp' && report.kind === 'audio') level = Math.max(level, report.audioLevel ?? 0);
        if (report.type === 'media-source' && report.kind === 'audio') localLevel = Math.max(localLevel, report.audioLevel ?? 0);
      });
      const speaking = level > SPEAKING_LEVEL;
      if (speaking !== peer.speaking) {
        peer.speaking = speaking;
        changed = true;
      }
    }
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
    this.view = { ...this.view, peers: [...this.peers.values()].map((peer) => ({ userId: peer.userId, stream: peer.stream, state: peer.pc.connectionState, speaking: peer.speaking, hasVideo: peer.hasVideo })) };
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
