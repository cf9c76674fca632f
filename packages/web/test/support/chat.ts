import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { signIn as signInDevice, type TestApp, type TestUser } from '../../../server/test/support/test-app.ts';
import { eventually, newPerson } from './browser.ts';

/** What a person does in the web client, through its labelled controls. */

let counter = 0;
export function uniqueHandle(name: string): string {
  return `${name}${process.pid % 10_000}x${++counter}`;
}

export const PASSWORD = 'correct horse battery';

export async function signUp(page: Page, handle: string, displayName: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create account', exact: true }).first().click();
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'New chat' }).waitFor();
}

export async function signIn(page: Page, handle: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Handle').waitFor({ timeout: 10_000 }).catch(async (error: Error) => {
    throw new Error(`no sign-in form at ${page.url()}; the page shows: ${await page.locator('body').innerText()}`, { cause: error });
  });
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'New chat' }).waitFor();
}

/** Finds someone by handle and opens the direct conversation with them. */
export async function startDirect(page: Page, handle: string, displayName: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'New conversation' });
  await dialog.getByLabel('Their handle').fill(`@${handle}`);
  await dialog.getByRole('button', { name: 'Find' }).click();
  await dialog.getByText(`@${handle}`).waitFor();
  await dialog.getByRole('button', { name: 'Message', exact: true }).click();
  await page.getByRole('heading', { name: displayName, level: 2 }).waitFor();
}

export async function createGroup(page: Page, title: string, handles: string[]): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'New conversation' });
  await dialog.getByRole('button', { name: 'New group' }).click();
  await dialog.getByLabel('Group title').fill(title);
  for (const handle of handles) {
    await dialog.getByLabel('Add people by handle').fill(handle);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByRole('list', { name: 'People to add' }).getByRole('listitem').nth(handles.indexOf(handle)).waitFor();
  }
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('heading', { name: title, level: 2 }).waitFor();
}

export function conversationLink(page: Page, title: string): Locator {
  return page.getByRole('navigation', { name: 'Conversation list' }).locator('a.conversation-item', { has: page.locator('.conversation-title', { hasText: title }) });
}

export async function openConversation(page: Page, title: string): Promise<void> {
  await conversationLink(page, title).click();
  await page.getByRole('heading', { name: title, level: 2 }).waitFor();
}

/** Types into the composer and sends with Enter; resolves once the server has it (no longer pending). */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  await box.press('Enter');
  await eventually(async () => assert.equal(await page.locator('.messages .message.pending').count(), 0), `"${text}" to be sent`);
}

/** The texts of the messages shown in the open conversation, in order (pending ones excluded). */
export async function shownMessages(page: Page): Promise<string[]> {
  return page.locator('.messages .message:not(.pending) .message-text').allTextContents();
}

/** Waits until the page shows exactly `expected`; the deadline is generous because a loaded CI machine delivers slowly, and it returns as soon as they show. */
export async function waitForMessages(page: Page, expected: string[], what = 'messages', timeoutMs = 30_000): Promise<void> {
  await eventually(async () => assert.deepEqual(await shownMessages(page), expected), what, timeoutMs);
}

/** The unread badge of a conversation in the list, or null when there is none. */
export async function unreadBadge(page: Page, title: string): Promise<string | null> {
  const [text] = await conversationLink(page, title).locator('.unread-badge').allTextContents();
  return text ?? null;
}

type Person = Awaited<ReturnType<typeof newPerson>>;

/** A browser already signed in as `user` (a stored session, as after a reload), showing the conversation list. */
export async function openAs(browser: Browser, server: TestApp, user: TestUser, options: { viewport?: { width: number; height: number }; touch?: boolean } = {}): Promise<Person> {
  const session = await signInDevice(server.url, user.user.id);
  let person: Person;
  if (options.touch) {
    // A phone: no hover, touch input.
    const context = await browser.newContext({ baseURL: server.url, viewport: options.viewport ?? { width: 375, height: 740 }, hasTouch: true, isMobile: true, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    person = { context, page, dialogs: [], errors };
  } else {
    person = await newPerson(browser, server.url, options.viewport);
  }
  const stored = JSON.stringify({ userId: session.user.id, accessToken: session.token, refreshToken: session.refreshToken, sessionId: session.sessionId });
  await person.context.addInitScript((value) => {
    if (!localStorage.getItem('parley.session')) localStorage.setItem('parley.session', value);
  }, stored);
  await person.page.goto('/');
  await person.page.getByRole('button', { name: 'New chat' }).waitFor();
  return person;
}

