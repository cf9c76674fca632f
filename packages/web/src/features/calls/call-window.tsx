import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useUsersVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { conversationTitle } from '../../lib/format.ts';
import { relayOnlyCalls } from './call-prefs.ts';
import type { CallWindowSession, LocalView, PeerView } from './call-media-view.ts';
import { P2PCallSession } from './call-session.ts';
import { JanusCallSession } from './janus-session.ts';
import { useCalls } from './use-calls.ts';

/**
 * The call this device is in: a tile per participant (video, or their picture, with who
 * is speaking), and the controls: mute, camera, screen share, leave (a 1:1 call ends for
 * both), end for everyone (the caller of a group call). Media peer to peer (`P2PCallSession`)
 * or through Janus VideoRoom (`JanusCallSession`); LiveKit calls show no media yet. Loaded on
 * demand (its own chunk).
 */
export function CallWindow() {
  const { client, users } = useApp();
  useUsersVersion(users);
  const calls = useCalls();
  const notify = useNotify();
  const active = calls.active!;
  const [session, setSession] = useState<CallWindowSession | null>(null);

  useEffect(() => {
    const kind = active.media?.type;
    if (kind !== 'p2p' && kind !== 'janus') return;
    // Created and attached in one step, so no signal or call event falls between the two.
    const created: CallWindowSession = kind === 'janus' ? new JanusCallSession(client, active) : new P2PCallSession(client, active, { relayOnly: relayOnlyCalls() });
    const detach = calls.attach(created);
    setSession(created);
    return () => {
      detach();
      created.close();
    };
    // One session per call: the window is keyed by the call id.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const view = useSessionView(session);
  const meId = calls.meId();
  const conversation = client.store.get(active.call.conversationId)?.summary;
  const title = conversation ? conversationTitle(conversation) : 'Call';
  const others = active.call.participants.filter((p) => p.userId !== meId);
  const joinedOthers = others.filter((p) => p.state === 'joined');
  const status =
    active.call.state === 'ringing' && joinedOthers.length === 0
      ? active.call.callerId === meId
        ? 'Calling…'
        : 'Connecting…'
      : view?.peers.some((peer) => peer.state === 'connected')
        ? 'In call'
        : 'Connecting…';
  const run = (action: () => Promise<void>, failure: string) => action().catch((error: unknown) => notify(`${failure}: ${describeError(error)}`));
  const isGroup = conversation?.kind !== 'direct';
  const local = view?.local;

  return (
    <section className="call-window" aria-label={`Call: ${title}`} data-call-id={active.call.id} data-call-state={status === 'In call' ? 'connected' : 'connecting'}>
      <header className="call-header">
        <h2>{title}</h2>
        <p className="call-status" role="status">
          {status}
          {active.call.kind === 'video' ? ' · video' : ' · voice'}
        </p>
      </header>
      {active.media?.type !== 'p2p' && active.media?.type !== 'janus' ? (
        <p className="call-note">This call runs through a media server this web client cannot join yet; the call’s events still show in the conversation.</p>
      ) : (
        <ul className="call-tiles" aria-label="Participants">
          <Tile name={`${users.name(meId ?? '')} (you)`} userId={meId ?? ''} stream={local?.stream ?? null} speaking={local?.speaking ?? false} hasVideo={!!local?.stream?.getVideoTracks().length && !local.cameraOff} self />
          {joinedOthers.map((participant) => {
            const peer = view?.peers.find((p) => p.userId === participant.userId);
            return <Tile key={participant.userId} name={users.name(participant.userId)} userId={participant.userId} stream={peer?.stream ?? null} speaking={peer?.speaking ?? false} hasVideo={peer?.hasVideo ?? false} state={peer?.state ?? 'new'} />;
          })}
        </ul>
      )}
      {local?.problem && <p className="call-note" role="alert">{local.problem}</p>}
      <div className="call-controls" role="toolbar" aria-label="Call controls">
        {session && local && (
          <>
            <button type="button" className="button" aria-pressed={local.muted} onClick={() => session.setMuted(!local.muted)}>
              {local.muted ? 'Unmute' : 'Mute'}
            </button>
            {active.call.kind === 'video' && (
              <button type="button" className="button" aria-pressed={local.cameraOff} onClick={() => session.setCameraOff(!local.cameraOff)}>
                {local.cameraOff ? 'Camera on' : 'Camera off'}
              </button>
            )}
            {'getDisplayMedia' in navigator.mediaDevices && (
              <button type="button" className="button" aria-pressed={local.sharingScreen} onClick={() => run(() => (local.sharingScreen ? session.stopScreen() : session.shareScreen()), 'Could not share the screen')}>
                {local.sharingScreen ? 'Stop sharing' : 'Share screen'}
              </button>
            )}
          </>
        )}
        <button type="button" className="button button-danger" onClick={() => run(() => calls.leave(), 'Could not leave the call')}>
          {isGroup ? 'Leave' : 'End call'}
        </button>
        {isGroup && active.call.callerId === meId && (
          <button type="button" className="button button-danger" onClick={() => run(() => calls.endForEveryone(), 'Could not end the call')}>
            End for everyone
          </button>
        )}
      </div>
    </section>
  );
}

function useSessionView(session: CallWindowSession | null): { peers: PeerView[]; local: LocalView } | null {
  return useSyncExternalStore(
    (listener) => session?.subscribe(listener) ?? (() => {}),
    () => session?.view ?? null,
  );
}

/** One participant: their video when frames come, else their picture; outlined while they speak. */
function Tile({ name, userId, stream, speaking, hasVideo, self, state }: { name: string; userId: string; stream: MediaStream | null; speaking: boolean; hasVideo: boolean; self?: boolean; state?: RTCPeerConnectionState }) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const element = video.current;
    if (element && element.srcObject !== stream) element.srcObject = stream;
  }, [stream]);
  return (
    <li className={`call-tile${speaking ? ' speaking' : ''}${hasVideo ? ' with-video' : ''}`} data-user-id={userId} data-speaking={speaking} data-peer-state={state ?? 'self'} aria-label={`${name}${speaking ? ', speaking' : ''}`}>
      {/* Our own tile never plays our own sound back. */}
      <video ref={video} autoPlay playsInline muted={self} />
      {!hasVideo && (
        <div className="call-tile-picture">
          <Avatar id={userId} name={name} size="lg" />
        </div>
      )}
      <span className="call-tile-name">
        {name}
        {state && state !== 'connected' && state !== 'new' ? ` · ${state}` : ''}
      </span>
    </li>
  );
}
