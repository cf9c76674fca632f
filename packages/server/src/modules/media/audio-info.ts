import type { Readable } from 'node:stream';
import { parseStream } from 'music-metadata';

/** Bars in a waveform: what a voice-note bubble draws. */
export const WAVEFORM_BARS = 64;

/**
 * Length of an audio or video file in milliseconds, from its container (music-metadata
 * reads the headers, and for formats without a length in them — Ogg, some WebM — scans the
 * stream to its end), or null when it cannot tell. Never throws for a malformed file.
 */
export async function readDuration(body: Readable, contentType: string, size: number): Promise<number | null> {
  try {
    const metadata = await parseStream(body, { mimeType: contentType, size }, { duration: true, skipCovers: true });
    const seconds = metadata.format.duration;
    return seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null;
  } catch {
    return null;
  } finally {
    body.destroy();
  }
}

/**
 * A waveform of uncompressed PCM WAV (8/16-bit integer samples): the peak of each of
 * `WAVEFORM_BARS` equal slices, scaled to 0–255, as base64url. Compressed audio (Opus,
 * AAC, MP3 — what recorders produce) would need a decoder this server does not ship;
 * those get null, and a client may draw from the duration alone.
 */
export function pcmWaveform(bytes: Buffer): string | null {
  if (bytes.length < 44 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return null;
  let at = 12;
  let format: { channels: number; bits: number; audioFormat: number } | null = null;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('latin1', at, at + 4);
    const length = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && body + 16 <= bytes.length) {
      format = { audioFormat: bytes.readUInt16LE(body), channels: bytes.readUInt16LE(body + 2), bits: bytes.readUInt16LE(body + 14) };
    } else if (id === 'data' && format) {
      if (format.audioFormat !== 1 || (format.bits !== 8 && format.bits !== 16) || format.channels < 1) return null;
      const data = bytes.subarray(body, Math.min(bytes.length, body + length));
      const step = (format.bits / 8) * format.channels;
      const samples = Math.floor(data.length / step);
      if (samples === 0) return null;
      const bars = Buffer.alloc(WAVEFORM_BARS);
      for (let bar = 0; bar < WAVEFORM_BARS; bar++) {
        const from = Math.floor((bar * samples) / WAVEFORM_BARS);
        const to = Math.max(from + 1, Math.floor(((bar + 1) * samples) / WAVEFORM_BARS));
        let peak = 0;
        for (let i = from; i < to && i < samples; i++) {
          const value = format.bits === 16 ? Math.abs(data.readInt16LE(i * step)) / 32768 : Math.abs(data[i * step]! - 128) / 128;
          if (value > peak) peak = value;
        }
        bars[bar] = Math.min(255, Math.round(peak * 255));
      }
      return bars.toString('base64url');
    }
    at = body + length + (length % 2);
  }
  return null;
}
