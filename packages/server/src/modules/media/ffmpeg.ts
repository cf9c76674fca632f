import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { imageSize } from 'image-size';
import { WAVEFORM_BARS } from './audio-info.ts';
import { THUMBNAIL_MAX_SIDE } from './image-preview.ts';

/**
 * What ffmpeg (an optional program beside the server, `MEDIA_FFMPEG`) learns from files the
 * pure-JavaScript code cannot read: a waveform and the length of compressed audio (Opus in
 * WebM or Ogg from browsers' recorders, AAC, MP3), the first frame and size of a video, and
 * previews of GIF and WebP pictures. Files are untrusted: ffmpeg runs as a child process on
 * one thread, without a shell, reading a local copy, with a deadline and capped output, and
 * any failure means "nothing learned", never a refused upload.
 */
export interface MediaDecoder {
  /** A waveform (`WAVEFORM_BARS` peaks, 0–255, base64url) and the decoded length; null when ffmpeg cannot decode the audio. */
  audio(file: string): Promise<{ waveform: string; durationMs: number } | null>;
  /** A JPEG of the first frame (a video) or of the picture (GIF, WebP), longest side `THUMBNAIL_MAX_SIDE`; null when none can be made. */
  preview(file: string): Promise<{ data: Buffer; width: number; height: number } | null>;
  /** A video's displayed size; null when ffprobe cannot tell. */
  videoSize(file: string): Promise<{ width: number; height: number } | null>;
}

/** Samples a second the audio is decoded at: plenty for 64 bars, small for a long recording. */
const SAMPLE_RATE = 4000;
/** Audio decoded at most: a waveform of a longer file shows its first hour. */
const MAX_AUDIO_SECONDS = 3600;
const MAX_PREVIEW_BYTES = 4 * 1024 * 1024;

interface Run {
  stdout: Buffer;
  code: number | null;
}

/** Runs the program with `args` (no shell), collecting at most `maxBytes` of its output; killed at the deadline or past the cap. */
function run(program: string, args: string[], maxBytes: number, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    let length = 0;
    let overflow = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) {
        overflow = true;
        child.kill('SIGKILL');
      } else {
        chunks.push(chunk);
      }
    });
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.alloc(0), code: null });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(chunks), code: overflow ? null : code });
    });
  });
}

/** The peaks of 16-bit mono PCM in `WAVEFORM_BARS` equal slices, scaled to 0–255. */
export function pcm16Waveform(samples: Buffer): string | null {
  const count = Math.floor(samples.length / 2);
  if (count === 0) return null;
  const bars = Buffer.alloc(WAVEFORM_BARS);
  for (let bar = 0; bar < WAVEFORM_BARS; bar++) {
    const from = Math.floor((bar * count) / WAVEFORM_BARS);
    const to = Math.max(from + 1, Math.floor(((bar + 1) * count) / WAVEFORM_BARS));
    let peak = 0;
    for (let i = from; i < to && i < count; i++) peak = Math.max(peak, Math.abs(samples.readInt16LE(i * 2)));
    bars[bar] = Math.min(255, Math.round((peak / 32768) * 255));
  }
  return bars.toString('base64url');
}

export function createFfmpegDecoder(programs: { ffmpeg: string; ffprobe: string }, timeoutMs: number): MediaDecoder {
  const ffmpeg = (args: string[], maxBytes: number) => run(programs.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-threads', '1', ...args], maxBytes, timeoutMs);
  return {
    async audio(file) {
      const decoded = await ffmpeg(['-t', String(MAX_AUDIO_SECONDS), '-i', file, '-vn', '-ac', '1', '-ar', String(SAMPLE_RATE), '-f', 's16le', 'pipe:1'], MAX_AUDIO_SECONDS * SAMPLE_RATE * 2 + 4096);
      if (decoded.code !== 0) return null;
      const waveform = pcm16Waveform(decoded.stdout);
      return waveform ? { waveform, durationMs: Math.round((decoded.stdout.length / 2 / SAMPLE_RATE) * 1000) } : null;
    },
    async preview(file) {
      // Fit inside a square of the preview size, never enlarged; even sides for the JPEG encoder.
      const fit = `scale='min(${THUMBNAIL_MAX_SIDE},iw)':'min(${THUMBNAIL_MAX_SIDE},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2`;
      const frame = await ffmpeg(['-i', file, '-frames:v', '1', '-vf', fit, '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '5', 'pipe:1'], MAX_PREVIEW_BYTES);
      if (frame.code !== 0 || frame.stdout.length === 0) return null;
      try {
        const { width, height, type } = imageSize(frame.stdout);
        return type === 'jpg' && width && height ? { data: frame.stdout, width, height } : null;
      } catch {
        return null;
      }
    },
    async videoSize(file) {
      const probe = await run(programs.ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height:stream_side_data=rotation', '-of', 'json', file], 64 * 1024, timeoutMs);
      if (probe.code !== 0) return null;
      try {
        const stream = (JSON.parse(probe.stdout.toString('utf8')) as { streams?: Array<{ width?: number; height?: number; side_data_list?: Array<{ rotation?: number }> }> }).streams?.[0];
        if (!stream?.width || !stream.height) return null;
        const rotation = Math.abs(stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? 0);
        return rotation === 90 || rotation === 270 ? { width: stream.height, height: stream.width } : { width: stream.width, height: stream.height };
      } catch {
        return null;
      }
    },
  };
}

/** Whether the program runs at all (`-version`): found on PATH by name, or at its path. */
async function runs(program: string): Promise<boolean> {
  return (await run(program, ['-version'], 1024 * 1024, 10_000)).code === 0;
}

/**
 * `MEDIA_FFMPEG`: `auto` uses `ffmpeg` and `ffprobe` from PATH when both run, `off` never,
 * a path that ffmpeg (with `ffprobe` beside it). Null: no decoder.
 */
export async function findFfmpeg(setting: string): Promise<{ ffmpeg: string; ffprobe: string } | null> {
  if (setting === 'off') return null;
  const programs = setting === 'auto' ? { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' } : { ffmpeg: setting, ffprobe: join(dirname(setting), 'ffprobe') };
  return (await runs(programs.ffmpeg)) && (await runs(programs.ffprobe)) ? programs : null;
}
