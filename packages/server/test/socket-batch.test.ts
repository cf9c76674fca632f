import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SocketBatch } from '../src/gateway/socket-batch.ts';

/** A socket stand-in that records each system call it would make: one entry per `_write` or `_writev`, with its chunks. */
class RecordingSocket extends Writable {
  readonly calls: string[][] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.calls.push([String(chunk)]);
    callback();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.calls.push(chunks.map(({ chunk }) => String(chunk)));
    callback();
  }
}

function write(batch: SocketBatch, socket: Writable, text: string): void {
  batch.hold(socket);
  socket.write(Buffer.from(text));
}

describe('socket write batches', () => {
  it('sends what one turn wrote to a socket in one call, in order, once the turn is over', async () => {
    const batch = new SocketBatch();
    const socket = new RecordingSocket();
    write(batch, socket, 'ack');
    write(batch, socket, 'event 1');
    // Promise jobs of the same turn (how events follow a commit) join it too.
    await Promise.resolve();
    write(batch, socket, 'event 2');
    assert.deepEqual(socket.calls, [], 'nothing leaves during the turn');
    await nextTurn();
    assert.deepEqual(socket.calls, [['ack', 'event 1', 'event 2']]);
    assert.equal(socket.writableCorked, 0);
  });

  it('sends each turn\'s frames on their own and releases every socket of a turn', async () => {
    const batch = new SocketBatch();
    const a = new RecordingSocket();
    const b = new RecordingSocket();
    write(batch, a, 'a1');
    write(batch, b, 'b1');
    await nextTurn();
    write(batch, a, 'a2');
    await nextTurn();
    assert.deepEqual(a.calls, [['a1'], ['a2']]);
    assert.deepEqual(b.calls, [['b1']]);
  });

  it('leaves a socket its writer corked to that writer, whose uncork sends everything', async () => {
    const batch = new SocketBatch();
    const socket = new RecordingSocket();
    socket.cork();
    write(batch, socket, 'ready');
    write(batch, socket, 'ack');
    socket.uncork();
    assert.deepEqual(socket.calls, [['ready', 'ack']]);
    await nextTurn();
    assert.deepEqual(socket.calls, [['ready', 'ack']], 'the batch held nothing of it');
  });

  it('does not let one socket that fails to uncork keep the others corked', async () => {
    const batch = new SocketBatch();
    const broken = new RecordingSocket();
    const healthy = new RecordingSocket();
    write(batch, broken, 'x');
    write(batch, healthy, 'y');
    broken.uncork = () => {
      throw new Error('uncork failed');
    };
    await nextTurn();
    assert.equal(broken.destroyed, true, 'the failing socket is dropped (its client resumes)');
    assert.deepEqual(healthy.calls, [['y']]);
  });
});
