import type { Attachment } from '@parley/protocol';
import { useEffect, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { FileIcon } from '../../components/icons.tsx';
import { formatBytes, formatDuration, useFileUrl, useFileUrls } from './use-file-url.ts';
import './media.css';

/** The files on a message: images as a grid of previews (a click opens the lightbox), audio and voice as players, the rest as cards with a download link. */
export function MessageAttachments({ attachments }: { attachments: Attachment[] }) {
  const [open, setOpen] = useState<Attachment | null>(null);
  if (attachments.length === 0) return null;
  const images = attachments.filter((file) => file.kind === 'image');
  const others = attachments.filter((file) => file.kind !== 'image');
  return (
    <div className="message-attachments">
      {images.length > 0 && (
        <ul className={`image-grid image-grid-${Math.min(images.length, 3)}`} aria-label={images.length === 1 ? 'Image' : `${images.length} images`}>
          {images.map((image) => (
            <li key={image.id}>
              <ImageThumb image={image} onOpen={() => setOpen(image)} />
            </li>
          ))}
        </ul>
      )}
      {others.map((file) =>
        file.kind === 'audio' || file.kind === 'voice' ? <AudioPlayer key={file.id} file={file} /> : file.kind === 'video' ? <VideoPlayer key={file.id} file={file} /> : <FileCard key={file.id} file={file} />,
      )}
      {open && <Lightbox image={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

/** The preview (or, without one or when it fails, the original), sized from what the server measured so the timeline does not jump. */
function ImageThumb({ image, onOpen }: { image: Attachment; onOpen(): void }) {
  const [original, setOriginal] = useState(!image.thumbnail);
  const link = useFileUrl(image.id, original ? 'original' : 'thumbnail');
  useEffect(() => {
    if (link.failed && !original) setOriginal(true);
  }, [link.failed, original]);
  const size = image.thumbnail ?? (image.width && image.height ? { width: image.width, height: image.height } : null);
  return (
    <button type="button" className="image-thumb" aria-label={`Open image ${image.name}`} data-file-id={image.id} onClick={onOpen}>
      {link.url ? (
        <img src={link.url} alt="" width={size?.width} height={size?.height} data-variant={original ? 'original' : 'thumbnail'} onError={link.renew} />
      ) : (
        <span className="image-placeholder" style={size ? { aspectRatio: `${size.width} / ${size.height}` } : undefined} />
      )}
    </button>
  );
}

/** The full image over everything; Escape, the close button or a click beside it closes. */
function Lightbox({ image, onClose }: { image: Attachment; onClose(): void }) {
  const link = useFileUrl(image.id, 'original');
  return (
    <Dialog title={image.name} open onClose={onClose} wide>
      <div className="lightbox">
        {link.url ? <img src={link.url} alt={image.name} onError={link.renew} /> : <p className="lightbox-loading">{link.failed ? 'This image is no longer available.' : 'Loading…'}</p>}
        <p className="lightbox-meta">
          {image.width && image.height ? `${image.width} × ${image.height} · ` : ''}
          {formatBytes(image.size)}
          {link.url && (
            <>
              {' · '}
              <DownloadLink file={image} url={link.url} expiresAt={link.expiresAt} />
            </>
          )}
        </p>
      </div>
    </Dialog>
  );
}

/** A download link whose signed URL may have expired since it was rendered: then a fresh one is asked for first. */
function DownloadLink({ file, url, expiresAt, children }: { file: Attachment; url: string; expiresAt: number; children?: React.ReactNode }) {
  const urls = useFileUrls();
  return (
    <a
      href={url}
      download={file.name}
      className="file-download"
      aria-label={`Download ${file.name}`}
      onClick={(event) => {
        if (expiresAt > Date.now() + 5_000) return;
        event.preventDefault();
        void urls.get(file.id, 'original', true).then((fresh) => {
          const link = document.createElement('a');
          link.href = fresh.url;
          link.download = file.name;
          link.click();
        });
      }}
    >
      {children ?? 'Download'}
    </a>
  );
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.length - dot <= 6 ? name.slice(dot + 1).toUpperCase() : '';
}

function FileCard({ file }: { file: Attachment }) {
  const link = useFileUrl(file.id, 'original');
  const kind = extension(file.name) || file.type;
  return (
    <div className="file-card" data-file-id={file.id}>
      <span className="file-card-icon" aria-hidden="true">
        <FileIcon />
      </span>
      <span className="file-card-text">
        <span className="file-card-name" title={file.name}>
          {file.name}
        </span>
        <span className="file-card-size">
          {formatBytes(file.size)}
          {kind ? ` · ${kind}` : ''}
        </span>
      </span>
      {link.url ? <DownloadLink file={file} url={link.url} expiresAt={link.expiresAt} /> : <span className="file-download-pending">{link.failed ? 'Unavailable' : '…'}</span>}
    </div>
  );
}

/**
 * MediaRecorder's WebM has no duration in its header, so the player measures it (the
 * server's, from ffmpeg, is shown meanwhile when it has one): such a file reports an infinite duration until the browser has seen its end,
 * so it seeks far past the end once, reads the real duration, and goes back to the start.
 */
function measureDuration(audio: HTMLAudioElement, found: (ms: number) => void) {
  if (Number.isFinite(audio.duration) && audio.duration > 0) {
    found(Math.round(audio.duration * 1000));
    if (audio.paused && audio.currentTime > 0 && audio.currentTime >= audio.duration - 0.05) audio.currentTime = 0;
  } else if (audio.duration === Infinity && audio.paused && audio.currentTime === 0) {
    audio.currentTime = 1e101;
  }
}

function AudioPlayer({ file }: { file: Attachment }) {
  const link = useFileUrl(file.id, 'original');
  const [measured, setMeasured] = useState<number | null>(null);
  const label = file.kind === 'voice' ? 'Voice note' : file.name;
  const durationMs = file.durationMs ?? measured;
  const duration = durationMs !== null ? formatDuration(durationMs) : null;
  // Measured even when the server knows the length: Chromium's player shows a WebM recording without one in its header as endless until it has seen the end.
  const measure = (event: React.SyntheticEvent<HTMLAudioElement>) => measureDuration(event.currentTarget, setMeasured);
  return (
    <figure className="audio-card" data-file-id={file.id}>
      {link.url ? (
        <audio controls preload="metadata" src={link.url} aria-label={`${label}${duration ? `, ${duration}` : ''}`} onError={link.renew} onLoadedMetadata={measure} onDurationChange={measure} />
      ) : (
        <span className="audio-pending">{link.failed ? 'Unavailable' : 'Loading…'}</span>
      )}
      {file.waveform ? <Waveform bars={waveformBars(file.waveform)} /> : null}
      <figcaption>
        {label}
        {duration ? ` · ${duration}` : ''}
      </figcaption>
    </figure>
  );
}

/** The server's waveform (base64url peaks, 0–255) as numbers; nothing for a malformed one. */
export function waveformBars(waveform: string): number[] {
  try {
    const binary = atob(waveform.replace(/-/g, '+').replace(/_/g, '/'));
    return Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return [];
  }
}

/** The shape of a recording, as messengers draw a voice note; decoration beside the player, so hidden from screen readers. */
function Waveform({ bars }: { bars: number[] }) {
  const loudest = Math.max(1, ...bars);
  return (
    <span className="waveform" aria-hidden="true">
      {bars.map((bar, index) => <span key={index} style={{ height: `${Math.max(8, Math.round((bar / loudest) * 100))}%` }} />)}
    </span>
  );
}

function VideoPlayer({ file }: { file: Attachment }) {
  const link = useFileUrl(file.id, 'original');
  // The server's first frame (when it has ffmpeg) shows before the video is played.
  const poster = useFileUrl(file.id, 'thumbnail', file.thumbnail !== null);
  return (
    <figure className="video-card" data-file-id={file.id}>
      {link.url ? <video controls preload="metadata" src={link.url} poster={poster.url ?? undefined} aria-label={file.name} width={file.width ?? undefined} height={file.height ?? undefined} onError={link.renew} /> : <span className="audio-pending">{link.failed ? 'Unavailable' : 'Loading…'}</span>}
      <figcaption>
        {file.name}
        {file.durationMs !== null ? ` · ${formatDuration(file.durationMs)}` : ''}
      </figcaption>
    </figure>
  );
}
