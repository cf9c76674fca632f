/**
 * Two users chat through the SDK: 1:1 and in a group, live over the socket.
 *
 *   npm start                # in one terminal (embedded defaults)
 *   npm run example          # in another; PARLEY_URL overrides http://localhost:8080
 */
import { ParleyClient } from '@parley/sdk';

const baseUrl = process.env.PARLEY_URL ?? 'http://localhost:8080';
const suffix = Math.random().toString(36).slice(2, 8);

async function signUp(name: string): Promise<ParleyClient> {
  const client = new ParleyClient({ baseUrl });
  await client.register({ handle: `${name}_${suffix}`, password: `${name}-secret-password`, displayName: name });
  await client.start();
  await client.whenLive();
  return client;
}

function show(client: ParleyClient, who: string): void {
  client.on('conversationAdded', (conversation) => {
    console.log(`  [${who}] joined ${conversation.title ?? 'a direct conversation'} at #${conversation.lastSeq}; last message: ${conversation.lastMessage?.text ?? '(none)'}`);
  });
  client.on('event', (event) => {
    if (event.type === 'message.created') {
      const from = event.data.message.senderId === client.me?.id ? 'me' : event.data.message.senderId.slice(0, 8);
      const where = client.store.get(event.conversationId)?.summary.title ?? 'direct';
      console.log(`  [${who}] ${where} #${event.seq} ${from}: ${event.data.message.text}`);
    }
  });
}

const alice = await signUp('alice');
const bob = await signUp('bob');
show(alice, 'alice');
show(bob, 'bob');

console.log('1:1 conversation');
const direct = await alice.createDirect(bob.me!.id);
await alice.sendMessage(direct.id, 'Hi Bob! Parley here.');
await waitFor(() => bob.store.get(direct.id)?.summary.lastMessage?.text === 'Hi Bob! Parley here.');
await bob.sendMessage(direct.id, 'Hi Alice, got it live.');
await waitFor(() => alice.store.get(direct.id)?.summary.lastMessage?.text === 'Hi Alice, got it live.');

console.log('group conversation');
const group = await alice.createGroup('Weekend plans', [bob.me!.id]);
await alice.sendMessage(group.id, 'Hiking on Saturday?');
await waitFor(() => bob.store.get(group.id)?.summary.lastMessage?.text === 'Hiking on Saturday?');
const reply = await bob.sendMessage(group.id, 'Count me in.');
await waitFor(() => alice.store.get(group.id)?.summary.lastSeq === reply.seq);
await alice.markRead(group.id);

console.log(`done: bob has ${bob.store.totalUnread()} unread, alice ${alice.store.totalUnread()}`);
alice.stop();
bob.stop();

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for delivery');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
