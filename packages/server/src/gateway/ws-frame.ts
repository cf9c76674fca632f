/**
 * Server-to-client WebSocket text frames built by hand (RFC 6455 §5.2: FIN set, opcode 1,
 * unmasked), header and payload in one Buffer. `ws.send` frames every message per socket:
 * a header allocated per send and two writes corked into a `writev`. Fan-out writes one
 * event to every member online, so the frame is built once and the same bytes go to each
 * socket in one plain write.
 *
 * Writing these straight to the socket interleaves safely with what `ws` itself writes
 * (pings, the close frame) because `ws` writes each frame whole and synchronously as long
 * as nothing is compressed: the gateway turns per-message deflate off.
 */
export function textFrame(payload: Buffer | string): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (headerLength === 2) {
    frame[1] = length;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  if (typeof payload === 'string') frame.write(payload, headerLength);
  else payload.copy(frame, headerLength);
  return frame;
}

/**
 * Frames each payload once, however many sockets it goes to. The hub hands the same Buffer
 * to every session of a topic one after another, so remembering the last one is enough;
 * a payload that comes back later after another one is framed again (correct, only slower).
 */
export class FrameCache {
  private payload: Buffer | null = null;
  private framed: Buffer | null = null;

  frame(payload: Buffer): Buffer {
    if (payload !== this.payload) {
      this.framed = textFrame(payload);
      this.payload = payload;
    }
    return this.framed!;
  }
}
