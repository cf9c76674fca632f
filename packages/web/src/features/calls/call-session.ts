import type { CallSignal, CallSignalFrame, ConversationEvent, IceServer, ParleyClient } from '@parley/sdk';
import type { ActiveCall } from './call-controller.ts';
import { CallMediaView, type RemoteMedia } from './call-media-view.ts';

interface Peer extends RemoteMedia {
  /** Candidates that came before the description they belong to. */
  pendingCandidates: RTCIceCandidateInit[];
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
export class P2PCallSession extends CallMediaView {
  private readonly client: ParleyClient;
  private readonly meId: string;
  private readonly iceServers: IceServer[];
  private readonly relayOnly: boolean;
  private readonly peers = new Map<string, Peer>();
  private readonly ready: Promise<boolean>;

  constructor(client: ParleyClient, active: ActiveCall, options: { relayOnly: boolean }) {
    super(active.call.id);
    this.client = client;
    this.meId = client.me?.id ?? '';
    this.iceServers = active.media?.type === 'p2p' ? active.media.iceServers : [];
    this.relayOnly = options.relayOnly;
    this.ready = this.openDevices(active.call.kind === 'video');
    // Participants who joined after this device (coming back to a call, or a fast answer
    // that beat the window) are offered to now; later ones when their `call.joined` arrives.
    void this.ready.then(() => {
      const after = active.joinOrder.slice(active.joinOrder.indexOf(this.meId) + 1);
      if (active.joinOrder.includes(this.meId)) for (const userId of after) void this.offer(userId);
    });
  }

  override onCallEvent(event: ConversationEvent): void {
    if (event.type === 'call.joined' && event.data.userId !== this.meId) {
      // Someone (re)joined after us: a connection from before is stale.
      this.dropPeer(event.data.userId);
      void this.ready.then(() => this.offer(event.data.userId));
    } else if (event.type === 'call.left') {
      this.dropPeer(event.data.userId);
    }
  }

  override onSignal(frame: CallSignalFrame): void {
    void this.ready.then(() => this.handleSignal(frame.from, frame.signal)).catch((error: unknown) => this.problem(`Could not connect: ${(error as Error).message}`));
  }

  protected override remotes(): Iterable<Peer> {
    return this.peers.values();
  }

  protected override closeConnections(): void {
    for (const userId of [...this.peers.keys()]) this.dropPeer(userId);
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
      if (track.kind === 'video') this.followVideo(peer, track);
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

  /** The screen or the camera on every connection's video sender (the transceiver each has from the start). */
  protected override async sendVideo(track: MediaStreamTrack | null): Promise<void> {
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
}
