/**
 * A POSIX tar (ustar, with pax headers for long or non-ASCII names) written as a sequence of
 * buffers, so an archive streams out without a library and without being held whole: a
 * header, the entry's bytes, padding to 512; two zero blocks end it. Every `tar` (GNU, BSD,
 * Windows' bsdtar, 7-Zip) reads it. Entry sizes must be known before their bytes, which is
 * why the archive writes JSON files it has built and files whose size the store recorded.
 */

const BLOCK = 512;
/** ustar's size field: 11 octal digits. */
export const MAX_ENTRY_BYTES = 8 * 1024 ** 3 - 1;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtimeMs: number, type: '0' | 'x'): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(Math.floor(mtimeMs / 1000), 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(type, 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** A pax record `"<length> path=<value>\n"`, whose length counts its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return Buffer.from(`${length}${body}`, 'utf8');
}

/** The blocks before an entry's bytes: a pax header first when the name does not fit ustar's plain 100 ASCII bytes. */
export function entryHeader(path: string, size: number, mtimeMs: number): Buffer[] {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ENTRY_BYTES) throw new RangeError(`tar entry size ${size}`);
  const plain = /^[\x20-\x7e]*$/.test(path) && path.length <= 100;
  if (plain) return [header(path, size, mtimeMs, '0')];
  const pax = paxRecord('path', path);
  // The fallback name readers without pax support see: ASCII, cut to fit.
  const fallback = path.replace(/[^\x20-\x7e]/g, '_').slice(-100);
  return [header(`PaxHeader/${fallback}`.slice(0, 100), pax.length, mtimeMs, 'x'), pax, padding(pax.length), header(fallback, size, mtimeMs, '0')];
}

/** Zero bytes that fill an entry of `size` bytes up to the next block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The end of the archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** A whole small entry (a JSON or text file built in memory). */
export function smallEntry(path: string, body: Buffer, mtimeMs: number): Buffer[] {
  return [...entryHeader(path, body.length, mtimeMs), body, padding(body.length)];
}
