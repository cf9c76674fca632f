import { useEffect, useRef, useState } from 'react';
import { CloseIcon } from '../../components/dialog.tsx';
import { MicIcon } from '../../components/icons.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { formatDuration } from './use-file-url.ts';

/** Containers the server takes as voice (WebM/Ogg with Opus; Safari records MP4/AAC), best first. */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];

function extensionOf(type: string): string {
  if (type.startsWith('audio/ogg')) return 'ogg';
  if (type.startsWith('audio/mp4')) return 'm4a';
  return 'webm';
}

/**
 * Records a voice note with the microphone (MediaRecorder). Stopping hands the recording
 * over as a file for the next message (it uploads as `kind=voice`); cancelling drops it.
 * Not shown where the browser cannot record.
 */
export function VoiceRecorder({ onRecorded }: { onRecorded(blob: Blob, name: string): void }) {
  const notify = useNotify();
  const [state, setState] = useState<'idle' | 'starting' | 'recording'>('idle');
  const [startedAt, setStartedAt] = useState(0);
  const [now, setNow] = useState(0);
  const recorder = useRef<MediaRecorder | null>(null);
  const keep = useRef(false);
  const deliver = useRef(onRecorded);
  deliver.current = onRecorded;

  useEffect(() => {
    if (state !== 'recording') return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [state]);

  // Leaving the conversation stops the microphone and drops the recording.
  useEffect(
    () => () => {
      keep.current = false;
      if (recorder.current?.state === 'recording') recorder.current.stop();
    },
    [],
  );

  if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) return null;

  const start = async () => {
    setState('starting');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      setState('idle');
      notify(error instanceof DOMException && error.name === 'NotAllowedError' ? 'Parley may not use the microphone: allow it in the browser to record voice notes.' : 'No microphone is available to record with.');
      return;
    }
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    const media = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    const chunks: Blob[] = [];
    const began = Date.now();
    media.ondataavailable = (event) => event.data.size > 0 && chunks.push(event.data);
    media.onstop = () => {
      for (const track of stream.getTracks()) track.stop();
      recorder.current = null;
      setState('idle');
      if (!keep.current || chunks.length === 0) return;
      const type = media.mimeType || mimeType || 'audio/webm';
      const stamp = new Date(began).toISOString().slice(0, 19).replace(/[:T]/gu, '-');
      deliver.current(new Blob(chunks, { type }), `voice-note-${stamp}.${extensionOf(type)}`);
    };
    recorder.current = media;
    keep.current = true;
    media.start(1000);
    setStartedAt(began);
    setNow(began);
    setState('recording');
  };

  const finish = (save: boolean) => {
    keep.current = save;
    recorder.current?.stop();
  };

  if (state === 'recording') {
    return (
      <span className="voice-recording">
        <span className="voice-recording-dot" aria-hidden="true" />
        <span role="status" className="voice-recording-time">
          Recording {formatDuration(Math.max(0, now - startedAt))}
        </span>
        <button type="button" className="icon-button" aria-label="Cancel recording" onClick={() => finish(false)}>
          <CloseIcon />
        </button>
        <button type="button" className="button button-primary voice-stop" onClick={() => finish(true)}>
          Stop recording
        </button>
      </span>
    );
  }
  return (
    <button type="button" className="icon-button composer-mic" aria-label="Record a voice note" disabled={state === 'starting'} onClick={() => void start()}>
      <MicIcon />
    </button>
  );
}
