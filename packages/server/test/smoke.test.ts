import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backends } from './support/backends.ts';
import { createUser, expectOk, http, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

for (const backend of backends) {
  describe(`a message sent over HTTP (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backend);
    });
    after(() => t.close());

    it('reaches the other member live over the socket and is in history', async () => {
      const alice = await createUser(t.url);
      const bob = await createUser(t.url);
      const { conversation } = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } }));
      const socket = await TestSocket.open(t.wsUrl, bob.token);
      const { message } = expectOk(await http(t.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { clientMsgId: 'c1', text: 'hi bob' } }));
      const live = await socket.next((f) => f.t === 'event' && f.event.type === 'message.created');
      assert.equal(live.event.data.message.id, message.id);
      assert.equal(live.event.seq, message.seq);
      const history = expectOk(await http(t.url, 'GET', `/v1/conversations/${conversation.id}/messages`, { token: bob.token }));
      assert.deepEqual(history.messages.map((m: any) => m.text), ['hi bob']);
      socket.close();
    });
  });
}
