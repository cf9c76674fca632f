import type { Member } from '@parley/protocol';

/**
 * The `@handle` being typed at the caret, if any: the same shape the server recognises
 * (a letter, then letters, digits, `_` or `.`), not glued to a word or an e-mail address
 * before it. `start` is where the `@` is, `query` what follows it up to the caret.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(?:^|[^A-Za-z0-9_.@])@([A-Za-z0-9_.]{0,31})$/u.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[1]!;
  if (query !== '' && !/^[A-Za-z]/u.test(query)) return null;
  return { start: caret - query.length - 1, query };
}

/** Members who have a handle, matching the query by handle or by a word of their name; handle prefixes first. */
export function mentionCandidates(members: Iterable<Member>, query: string, excludeUserId: string | null, limit = 6): Member[] {
  const q = query.toLowerCase();
  const scored: Array<[number, Member]> = [];
  for (const member of members) {
    const handle = member.user.handle;
    if (!handle || member.userId === excludeUserId) continue;
    const byHandle = handle.toLowerCase().startsWith(q);
    const byName = member.user.displayName.toLowerCase().split(/\s+/u).some((word) => word.startsWith(q));
    if (byHandle || byName) scored.push([byHandle ? 0 : 1, member]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].user.handle!.localeCompare(b[1].user.handle!));
  return scored.slice(0, limit).map(([, member]) => member);
}

/** The text with the mention at `start` (up to the caret) replaced by `@handle ` and where the caret goes after it. */
export function completeMention(text: string, start: number, caret: number, handle: string): { text: string; caret: number } {
  const inserted = `@${handle} `;
  const after = text.slice(caret).replace(/^[A-Za-z0-9_.]*\s?/u, '');
  return { text: text.slice(0, start) + inserted + after, caret: start + inserted.length };
}
