import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket as WsClient, WebSocketServer } from 'ws';
import { FrameCache, textFrame } from '../src/gateway/ws-frame.ts';
import { waitFor } from './support/api.ts';

describe('hand-built WebSocket text frames', () => {
  let server: ReturnType<typeof createServer>;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let raw: Socket | null = null;
  let client: WsClient;
  const received: string[] = [];

  before(async () => {
    // An HTTP upgrade answered by ws, then frames written to the raw socket beside it, as the gateway does.
    server = createServer();
    server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, () => (raw = socket as Socket)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    client = new WsClient(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, maxPayload: 1 << 20 });
    client.on('message', (data, isBinary) => {
      assert.equal(isBinary, false);
      received.push(String(data));
    });
    await waitFor(() => raw !== null && client.readyState === WsClient.OPEN, 'the upgrade');
  });
  after(async () => {
    client.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reach a ws client intact at every length encoding (7-bit, 16-bit, 64-bit) and from strings or buffers', async () => {
    // Byte lengths on both sides of each switch (125/126, 65,535/65,536), in ASCII and in two-byte characters.
    const all = ['', 'a', 'a'.repeat(125), 'a'.repeat(126), 'é'.repeat(63), 'a'.repeat(65_535), 'a'.repeat(65_536), 'é'.repeat(32_768), 'é'.repeat(100_000)];
    received.length = 0;
    all.forEach((payload, i) => raw!.write(textFrame(i % 2 ? Buffer.from(payload) : payload)));
    await waitFor(() => received.length === all.length, 'every frame');
    assert.deepEqual(received, all);
  });

  it('are built once for a payload written to many sockets in a row, and again for the next payload', () => {
    const cache = new FrameCache();
    const one = Buffer.from('{"t":"event"}');
    const two = Buffer.from('{"t":"event"}');
    const framed = cache.frame(one);
    assert.equal(cache.frame(one), framed, 'the same bytes for the same payload');
    assert.deepEqual(framed, textFrame(one));
    assert.notEqual(cache.frame(two), framed, 'another payload is framed on its own');
  });
});
