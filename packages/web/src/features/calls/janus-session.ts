import { type JanusCallMedia, JanusVideoRoom, type ParleyClient, type RemoteFeed } from '@parley/sdk';
import type { ActiveCall } from './call-controller.ts';
import { CallMediaView, type RemoteMedia } from './call-media-view.ts';

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
export class JanusCallSession extends CallMediaView {
  private readonly media: JanusCallMedia;
  /** Each remote publisher's feed, by Janus feed id. */
  private readonly feeds = new Map<string, RemoteMedia>();
  private room: JanusVideoRoom | null = null;

  constructor(_client: ParleyClient, active: ActiveCall) {
    super(active.call.id);
    this.media = active.media as JanusCallMedia;
    void this.start(active.call.kind === 'video');
  }

  /** Janus' own events say who publishes; nothing comes over the Parley socket for this call's media. */
  override onSignal(): void {}
  override onCallEvent(): void {}

  /** Only the publisher's feed can carry the screen: a device that publishes no video has nothing to swap it onto. */
  override async shareScreen(): Promise<void> {
    if (!this.videoSender()) throw new Error('this device publishes no video in this call');
    await super.shareScreen();
  }

  protected override remotes(): Iterable<RemoteMedia> {
    return this.feeds.values();
  }

  protected override async sendVideo(track: MediaStreamTrack | null): Promise<void> {
    await this.videoSender()?.replaceTrack(track);
  }

  /** Leaves the Janus room (its peer connections close); the base stops the camera and microphone. */
  protected override closeConnections(): void {
    void this.room?.leave();
    this.feeds.clear();
  }

  /** The publisher's own `media-source` says how loud this device's microphone is. */
  protected override ownAudioConnection(): RTCPeerConnection | null {
    return this.room?.publisher() ?? null;
  }

  private async start(video: boolean): Promise<void> {
    if (!(await this.openDevices(video))) return;
    try {
      const room = await JanusVideoRoom.join(this.media, { stream: this.local });
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
      feed = { userId, stream, pc: peer, speaking: false, hasVideo: false };
      this.feeds.set(feedId, feed);
      this.watchPeer(peer);
    }
    // A publisher without a camera, or one not decoding yet: the tile shows their picture.
    for (const track of stream.getVideoTracks()) this.followVideo(feed, track);
    this.publishPeers();
  }

  private watchPeer(peer: RTCPeerConnection): void {
    peer.addEventListener('connectionstatechange', () => this.publishPeers());
  }

  private videoSender(): RTCRtpSender | null {
    return this.room?.publisher()?.getSenders().find((sender) => sender.track?.kind === 'video') ?? null;
  }
}
