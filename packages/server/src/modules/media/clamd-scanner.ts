import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { AppError } from '../../platform/errors.ts';

/** What a scan found: clean, or the name of what was found. */
export type ScanVerdict = { clean: true } | { clean: false; signature: string };

export interface FileScanner {
  scan(body: Readable): Promise<ScanVerdict>;
}

/** clamd reads chunks of at most this size (its StreamMaxLength bounds the total). */
const CHUNK_BYTES = 64 * 1024;

/**
 * A client of ClamAV's daemon speaking `INSTREAM` (clamd(8)): `zINSTREAM\0`, then the file
 * as chunks each prefixed with its length (4 bytes, big-endian), then a zero length; clamd
 * answers one NUL-terminated line, `stream: OK` or `stream: <signature> FOUND`. One TCP
 * connection per scan. Anything else — refused connection, timeout, `… ERROR` (such as
 * clamd's size limit) — rejects with `unavailable`, so the upload is refused rather than
 * served unscanned.
 */
export function createClamdScanner(options: { host: string; port: number; timeoutMs: number }): FileScanner {
  return {
    async scan(body) {
      const socket = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => socket.destroy(new Error('scan timed out')), options.timeoutMs);
      try {
        const answer = collectAnswer(socket);
        answer.catch(() => {}); // awaited below; an earlier failure must not leave it unhandled
        await once(socket, 'connect');
        await write(socket, Buffer.from('zINSTREAM\u0000', 'latin1'));
        for await (const chunk of body) {
          const bytes = chunk as Buffer;
          for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
            const part = bytes.subarray(at, at + CHUNK_BYTES);
            const length = Buffer.alloc(4);
            length.writeUInt32BE(part.length);
            await write(socket, Buffer.concat([length, part]));
          }
        }
        await write(socket, Buffer.alloc(4));
        const line = await answer;
        const found = /^stream: (.+) FOUND$/.exec(line);
        if (found) return { clean: false, signature: found[1]! };
        if (line === 'stream: OK') return { clean: true };
        throw new Error(`clamd answered: ${line.slice(0, 200)}`);
      } catch (error) {
        throw new AppError('unavailable', 'The file could not be scanned; try again later.', { reason: (error as Error).message });
      } finally {
        clearTimeout(timer);
        body.destroy();
        socket.destroy();
      }
    },
  };
}

function once(socket: Socket, event: 'connect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    socket.once(event, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error('clamd closed the connection'));
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/** The answer up to its NUL (or the end of the connection), at most 4 KiB. */
function collectAnswer(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => resolve(text.replace(/\u0000[\s\S]*$/, '').trim());
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (text.includes('\u0000') || text.length > 4096) done();
    });
    socket.on('end', done);
    socket.on('close', () => (text ? done() : reject(new Error('clamd closed the connection without an answer'))));
    socket.on('error', reject);
  });
}
