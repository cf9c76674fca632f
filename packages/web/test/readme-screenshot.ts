import { fileURLToPath } from 'node:url';
import { createUser, expectOk, http, type TestUser } from '../../server/test/support/test-app.ts';
import { openAs, openConversation, waitForMessages } from './support/chat.ts';
import { startBrowserSuite } from './support/suite.ts';

/**
 * Takes the README's picture of the web client (docs/web-client.png): a group conversation
 * with formatting, a reply, a pin, reactions, read ticks and lines of events, its members
 * panel open. `npm run docs:screenshot` after a visible change to the client.
 */
const target = fileURLToPath(new URL('../../../docs/web-client.png', import.meta.url));

const suite = await startBrowserSuite();
try {
  const { server, browser } = suite;
  const call = async (user: TestUser, method: string, path: string, body?: unknown) => expectOk(await http(server.url, method, path, { token: user.token, ...(body !== undefined ? { body } : {}) }), `${method} ${path}`);
  const person = async (handle: string, displayName: string) => {
    const user = await createUser(server.url, `${handle}${process.pid % 1000}`);
    await call(user, 'PATCH', '/v1/me', { displayName });
    return { ...user, user: { ...user.user, displayName } };
  };
  const [olga, sam, lee] = [await person('olga', 'Olga Owner'), await person('sam', 'Sam Rivera'), await person('lee', 'Lee Park')];
  let n = 0;
  const say = async (user: TestUser, id: string, text: string, replyTo?: string) => (await call(user, 'POST', `/v1/conversations/${id}/messages`, { clientMsgId: `shot-${++n}`, text, ...(replyTo ? { replyTo } : {}) })).message;

  const { conversation: news } = await call(olga, 'POST', '/v1/conversations', { kind: 'channel', title: 'Trail news', memberIds: [sam.user.id, lee.user.id] });
  await say(olga, news.id, 'New trail maps are up for the autumn season.');
  const { conversation: direct } = await call(sam, 'POST', '/v1/conversations', { kind: 'direct', userId: olga.user.id });
  await say(sam, direct.id, 'Can you bring the spare tent?');
  const { conversation: group } = await call(olga, 'POST', '/v1/conversations', { kind: 'group', title: 'Weekend plans', memberIds: [sam.user.id] });
  const g = group.id;
  await say(olga, g, 'Hiking on **Saturday**? The weather looks _perfect_.');
  await call(olga, 'POST', `/v1/conversations/${g}/members`, { userIds: [lee.user.id] });
  await say(lee, g, 'Count me in!');
  const map = await say(sam, g, 'Me too. Trail map: https://example.com/trails/ridge-loop\n> 14 km, about 5 hours');
  await call(olga, 'PUT', `/v1/conversations/${g}/messages/${map.id}/pin`);
  const plan = await say(olga, g, 'Perfect. Meet at `8:00` at the car park?', map.id);
  await call(sam, 'PUT', `/v1/conversations/${g}/messages/${plan.id}/reactions/${encodeURIComponent('❤️')}`);
  await call(lee, 'PUT', `/v1/conversations/${g}/messages/${plan.id}/reactions/${encodeURIComponent('❤️')}`);
  const last = await say(olga, g, 'See you there ~~at 7~~ at 8, boots on!');
  for (const reader of [sam, lee, olga]) await call(reader, 'POST', `/v1/conversations/${g}/read`, { seq: last.seq });

  const viewer = await openAs(browser, server, olga, { viewport: { width: 1280, height: 800 } });
  await openConversation(viewer.page, 'Weekend plans');
  await waitForMessages(viewer.page, ['Hiking on Saturday? The weather looks perfect.', 'Count me in!', 'Me too. Trail map: https://example.com/trails/ridge-loop14 km, about 5 hours', 'Perfect. Meet at 8:00 at the car park?', 'See you there at 7 at 8, boots on!']);
  await viewer.page.getByRole('button', { name: 'Members and settings' }).click();
  await viewer.page.getByRole('complementary', { name: 'Conversation details' }).locator('.member').nth(2).waitFor();
  await viewer.page.locator('.ticks[data-status="read"]').last().waitFor();
  await viewer.page.getByRole('textbox', { name: 'Message', exact: true }).blur();
  await viewer.page.mouse.move(640, 4);
  await viewer.page.screenshot({ path: target });
  console.log(`wrote ${target}`);
  await viewer.context.close();
} finally {
  await suite.close();
}
