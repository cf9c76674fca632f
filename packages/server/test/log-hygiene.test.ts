import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../src/platform/logger.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, expectOk, http, JWT_SECRET, METRICS_TOKEN, scrapeMetrics, signIn, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * The log at debug level (the most it says) over a representative flow: sign-up, sign-in
 * (right and wrong password), messages over HTTP and the socket, an edit, a refused send, a
 * token refresh, an admin password change and admin-issued tokens, a metrics scrape, sign-out.
 * Every secret and every message body of the flow is unique, and none may appear in any line;
 * the ids that make the log useful (request, user, conversation) must.
 */
const unique = (what: string) => `${what}-${randomBytes(9).toString('hex')}`;

for (const backend of backends) {
  describe(`the log keeps ids and leaves out secrets and message text (${backend.name})`, () => {
    const lines: string[] = [];
    let node: TestApp;
    const secrets = new Map<string, string>();
    const sockets: TestSocket[] = [];
    const keep = (what: string, value: string) => {
      secrets.set(value, what);
      return value;
    };

    before(async () => {
      const logger = createLogger({ level: 'debug', nodeId: 'log-test', destination: { write: (line: string) => void lines.push(line) } });
      node = await startApp(backend, { logger });
      keep('admin key', ADMIN_KEY);
      keep('JWT secret', JWT_SECRET);
      keep('metrics token', METRICS_TOKEN);
    });
    after(async () => {
      for (const socket of sockets) socket.close();
      await node?.close();
    });

    it('runs the flow, then finds no token, password, key or message body in the log', async () => {
      const password = keep('first password', unique('pw'));
      const wrong = keep('wrong password', unique('wrong'));
      const handle = `log${randomBytes(4).toString('hex')}`;
      const registered = expectOk(await http(node.url, 'POST', '/v1/auth/register', { body: { handle, password, displayName: 'Log Test' } }), 'register');
      keep('access token (sign-up)', registered.accessToken);
      keep('refresh token (sign-up)', registered.refreshToken);
      const aliceId: string = registered.user.id;
      assert.equal((await http(node.url, 'POST', '/v1/auth/login', { body: { handle, password: wrong } })).status, 401);
      const login = expectOk(await http(node.url, 'POST', '/v1/auth/login', { body: { handle, password } }), 'login');
      const token = keep('access token (login)', login.accessToken);
      keep('refresh token (login)', login.refreshToken);

      const bobPassword = keep('second user\'s password', unique('pw'));
      const bob = expectOk(await http(node.url, 'POST', '/v1/auth/register', { body: { handle: `${handle}b`, password: bobPassword } }), 'register bob');
      keep('access token (bob)', bob.accessToken);
      keep('refresh token (bob)', bob.refreshToken);
      const { conversation } = expectOk(await http(node.url, 'POST', '/v1/conversations', { token, body: { kind: 'direct', userId: bob.user.id } }), 'direct');

      const overHttp = keep('message body (HTTP)', unique('body http'));
      const { message } = expectOk(await http(node.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token, body: { clientMsgId: 'log-1', text: overHttp } }), 'send');
      const socket = await TestSocket.open(node.wsUrl, bob.accessToken);
      sockets.push(socket);
      const overSocket = keep('message body (socket)', unique('body socket'));
      await socket.request('send', { conversationId: conversation.id, clientMsgId: 'log-2', text: overSocket });
      const edited = keep('edited body', unique('body edit'));
      expectOk(await http(node.url, 'PATCH', `/v1/conversations/${conversation.id}/messages/${message.id}`, { token, body: { text: edited } }), 'edit');
      const refused = keep('refused body', unique('body refused'));
      assert.equal((await http(node.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token, body: { clientMsgId: 'log-3', text: refused.repeat(400) } })).status, 422, 'too long');
      await assert.rejects(socket.request('send', { conversationId: 'not-a-conversation', clientMsgId: 'log-4', text: keep('body to a bad id', unique('body bad')) }));

      const refreshed = expectOk(await http(node.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: login.refreshToken } }), 'refresh');
      keep('access token (refreshed)', refreshed.accessToken);
      keep('refresh token (refreshed)', refreshed.refreshToken);
      const changed = keep('changed password', unique('pw'));
      expectOk(await http(node.url, 'PATCH', `/v1/admin/users/${aliceId}`, { token: ADMIN_KEY, body: { password: changed } }), 'admin password change');
      assert.equal((await http(node.url, 'GET', '/v1/admin/users/' + aliceId, { token: `${ADMIN_KEY}x` })).status, 401);
      const issued = await signIn(node.url, aliceId);
      keep('access token (admin-issued)', issued.token);
      keep('refresh token (admin-issued)', issued.refreshToken);
      const again = expectOk(await http(node.url, 'POST', '/v1/auth/login', { body: { handle, password: changed } }), 'login with the new password');
      keep('access token (new password)', again.accessToken);
      keep('refresh token (new password)', again.refreshToken);
      assert.equal((await scrapeMetrics(node.url)).status, 200);
      expectOk(await http(node.url, 'POST', '/v1/auth/logout', { token: refreshed.accessToken, body: { refreshToken: refreshed.refreshToken } }), 'logout');
      await socket.request('ping');

      const log = lines.join('');
      for (const [value, what] of secrets) {
        assert.ok(!log.includes(value), `the log contains the ${what}`);
        // A JWT's signature alone is as good as the token for nobody, but is a leak of it all the same.
        if (value.split('.').length === 3) assert.ok(!log.includes(value.split('.')[2]!), `the log contains the signature of the ${what}`);
      }

      // What the log is for: each access line has a request id; a send names its user and conversation.
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const access = records.filter((record) => record.msg === 'request');
      assert.ok(access.length >= 15, `access lines at debug level (${access.length})`);
      for (const record of access) assert.equal(typeof record.reqId, 'string', 'every access line has its request id');
      const send = access.find((record) => record.route === '/v1/conversations/:id/messages' && record.method === 'POST' && record.status === 200);
      assert.ok(send, 'the send has an access line');
      assert.equal(send.userId, aliceId);
      assert.equal(send.conversationId, conversation.id);
      assert.ok(records.every((record) => record.node === 'log-test'), 'every line names its node');
    });
  });
}
