import type { ParleyClient } from '@parley/sdk';
import { flash, waitForElement } from '../messages/message-element.ts';

/** Pages of older history read at most to reach a message (the pinned bar's bound too). */
const MAX_PAGES = 20;
/** How long the opened conversation may take to load its first page. */
const LOAD_DEADLINE_MS = 10_000;

/**
 * Shows a message of a conversation that was just opened: waits for its history, pages back
 * until the message's seq is loaded (bounded), then scrolls to it and highlights it. The SDK's
 * history loader pages from the newest backwards only, so "around the message" means "back to
 * it": what is between stays loaded, which keeps the timeline one contiguous range.
 */
export async function jumpToMessage(client: ParleyClient, conversationId: string, message: { id: string; seq: number }): Promise<boolean> {
  const deadline = Date.now() + LOAD_DEADLINE_MS;
  while (!client.store.get(conversationId)?.messages && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  let target = await waitForElement(message.id);
  for (let pages = 0; !target && pages < MAX_PAGES; pages++) {
    const state = client.store.get(conversationId);
    const first = state?.messages?.[0];
    if (!state || !state.hasOlder || (first && first.seq <= message.seq)) break;
    await client.loadOlder(conversationId);
    target = await waitForElement(message.id);
  }
  target ??= await waitForElement(message.id);
  if (target) flash(target);
  return target !== null;
}
