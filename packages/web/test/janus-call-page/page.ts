import { type JanusCallMedia, JanusVideoRoom } from '@parley/sdk';

/**
 * The three-party browser test's page: the SDK's Janus client and nothing else. The test
 * asks Parley for the call's media (start, accept) and hands it over with `joinCall`; the
 * page publishes Chromium's fake camera and microphone and receives everyone else.
 */
interface FeedStats {
  userId: string;
  videoBytes: number;
  framesDecoded: number;
  audioBytes: number;
}

let room: JanusVideoRoom | null = null;
const closed: string[] = [];

async function joinCall(media: JanusCallMedia): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } });
  room = await JanusVideoRoom.join(media, { stream });
  room.on('closed', ({ reason }) => closed.push(reason));
  room.on('remote', ({ userId, stream: remote }) => {
    let video = document.querySelector<HTMLVideoElement>(`video[data-user="${userId}"]`);
    if (!video) {
      video = document.createElement('video');
      video.dataset.user = userId;
      video.muted = true;
      video.autoplay = true;
      document.getElementById('tiles')!.append(video);
    }
    video.srcObject = remote;
  });
}

/** What arrives from each other participant (inbound-rtp of their subscription's peer connection). */
async function callStats(): Promise<FeedStats[]> {
  if (!room) return [];
  const feeds: FeedStats[] = [];
  for (const feed of room.remoteFeeds()) {
    const stats: FeedStats = { userId: feed.userId, videoBytes: 0, framesDecoded: 0, audioBytes: 0 };
    (await feed.peer.getStats()).forEach((report: { type: string; kind?: string; bytesReceived?: number; framesDecoded?: number }) => {
      if (report.type !== 'inbound-rtp') return;
      if (report.kind === 'video') {
        stats.videoBytes += report.bytesReceived ?? 0;
        stats.framesDecoded += report.framesDecoded ?? 0;
      } else if (report.kind === 'audio') stats.audioBytes += report.bytesReceived ?? 0;
    });
    feeds.push(stats);
  }
  return feeds;
}

async function tryJoin(media: JanusCallMedia): Promise<string> {
  try {
    const attempt = await JanusVideoRoom.join(media, {});
    await attempt.leave();
    return 'joined';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

Object.assign(window, { joinCall, callStats, tryJoin, leaveCall: () => room?.leave(), closedReasons: () => closed });
