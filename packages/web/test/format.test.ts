import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@parley/protocol';
import { conversationTitle, initials, previewText } from '../src/lib/format.ts';
import { linkify, safeHref } from '../src/lib/linkify.ts';
import { canDelete, canEdit, canRemoveMember, canRename } from '../src/lib/permissions.ts';
import { buildTimeline } from '../src/lib/timeline.ts';

describe('links in message text', () => {
  it('turns http and https URLs into links and keeps the rest as text', () => {
    assert.deepEqual(linkify('see https://example.com/a?b=1, then http://x.org.'), [
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', then ' },
      { kind: 'link', text: 'http://x.org', href: 'http://x.org/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('opens bare www. hosts over https', () => {
    assert.deepEqual(linkify('www.example.com'), [{ kind: 'link', text: 'www.example.com', href: 'https://www.example.com/' }]);
  });

  it('never links other schemes or markup', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '<a href="https://evil.test">x</a>', 'vbscript:msgbox', 'file:///etc/passwd']) {
      const segments = linkify(text);
      for (const segment of segments) if (segment.kind === 'link') assert.match(segment.href, /^https?:\/\//u, text);
      assert.equal(segments.map((segment) => segment.text).join(''), text, 'the text is kept whole');
    }
    assert.equal(safeHref('javascript:alert(1)'), null);
    assert.equal(safeHref('https://'), null);
  });

  it('keeps balanced brackets that belong to a URL and drops the sentence’s', () => {
    assert.deepEqual(linkify('(see https://en.wikipedia.org/wiki/Foo_(bar))').find((segment) => segment.kind === 'link'), {
      kind: 'link',
      text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
      href: 'https://en.wikipedia.org/wiki/Foo_(bar)',
    });
  });
});

function message(seq: number, senderId: string, createdAt: string, extra: Partial<Message> = {}): Message {
  return { id: `m${seq}`, conversationId: 'c', seq, senderId, clientMsgId: `k${seq}`, text: `text ${seq}`, replyTo: null, createdAt, editedAt: null, deletedAt: null, forwardedFrom: null, reactions: [], attachments: [], mentions: [], ...extra };
}

describe('the message timeline', () => {
  const now = new Date('2026-03-10T12:00:00');
  const local = (day: number, hour: number, minute = 0) => new Date(2026, 2, day, hour, minute).toISOString();

  it('separates days, groups runs of one sender, and puts the divider before the first unread message from others', () => {
    const rows = buildTimeline({
      messages: [message(2, 'me', local(9, 10)), message(3, 'bob', local(9, 10, 1)), message(4, 'me', local(10, 9)), message(5, 'bob', local(10, 9, 1)), message(6, 'bob', local(10, 9, 2))],
      pending: [],
      meId: 'me',
      dividerAfterSeq: 3,
      now,
    });
    assert.deepEqual(
      rows.map((row) => (row.kind === 'message' ? `${row.message.seq}${row.startsRun ? '*' : ''}` : row.kind === 'day' ? row.label : row.kind)),
      ['Yesterday', '2*', '3*', 'Today', '4*', 'unread', '5*', '6'],
    );
  });

  it('shows unacknowledged sends after the history, once per client id, in their latest state', () => {
    const rows = buildTimeline({
      messages: [message(1, 'me', local(10, 9), { clientMsgId: 'done' })],
      pending: [
        { clientMsgId: 'done', text: 'acked meanwhile', replyTo: null, createdAt: local(10, 9), error: null },
        { clientMsgId: 'a', text: 'first', replyTo: null, createdAt: local(10, 9, 1), error: 'failed' },
        { clientMsgId: 'b', text: 'second', replyTo: null, createdAt: local(10, 9, 2), error: null },
        { clientMsgId: 'a', text: 'first', replyTo: null, createdAt: local(10, 9, 3), error: null },
      ],
      meId: 'me',
      dividerAfterSeq: null,
      now,
    });
    const pending = rows.filter((row) => row.kind === 'pending');
    assert.deepEqual(pending.map((row) => (row.kind === 'pending' ? [row.pending.clientMsgId, row.pending.error] : null)), [['a', null], ['b', null]]);
  });
});

describe('what the viewer may do', () => {
  const group = { kind: 'group' as const, role: 'member' as const };
  const owner = { kind: 'group' as const, role: 'owner' as const };
  const direct = { kind: 'direct' as const, role: 'member' as const };

  it('follows the chat core rules while the server sends no rights', () => {
    assert.equal(canEdit('me', { senderId: 'me', deletedAt: null }), true);
    assert.equal(canEdit('me', { senderId: 'bob', deletedAt: null }), false);
    assert.equal(canDelete(direct, 'me', { senderId: 'bob', deletedAt: null }), false);
    assert.equal(canDelete(group, 'me', { senderId: 'bob', deletedAt: null }), false);
    assert.equal(canDelete(owner, 'me', { senderId: 'bob', deletedAt: null }), true);
    assert.equal(canRename(owner), true);
    assert.equal(canRename(group), false);
    assert.equal(canRemoveMember(owner, 'me', { userId: 'bob', role: 'member' }), true);
    assert.equal(canRemoveMember(owner, 'me', { userId: 'me', role: 'owner' }), false);
    assert.equal(canRemoveMember(group, 'me', { userId: 'bob', role: 'member' }), false);
  });

  it('follows the server’s rights once it sends them', () => {
    const moderator = { kind: 'group' as const, role: 'moderator' as const, rights: ['delete_messages', 'remove_members'] as const };
    assert.equal(canDelete({ ...moderator, rights: [...moderator.rights] }, 'me', { senderId: 'bob', deletedAt: null }), true);
    assert.equal(canRemoveMember({ ...moderator, rights: [...moderator.rights] }, 'me', { userId: 'bob', role: 'member' }), true);
    assert.equal(canRemoveMember({ ...moderator, rights: [...moderator.rights] }, 'me', { userId: 'ann', role: 'admin' }), false, 'never someone of a higher role');
    assert.equal(canRename({ ...owner, rights: [] }), false);
  });
});

describe('names', () => {
  it('makes initials and titles', () => {
    assert.equal(initials('Alice Archer'), 'AA');
    assert.equal(initials('bob'), 'BO');
    assert.equal(initials('  '), '?');
    assert.equal(initials('Émile zola'), 'ÉZ');
    assert.equal(conversationTitle({ kind: 'direct', title: null, peer: { id: 'u', handle: 'bob', displayName: 'Bob' } }), 'Bob');
    assert.equal(conversationTitle({ kind: 'group', title: '  ', peer: null }), 'Untitled group');
    assert.equal(previewText('a\n\nb   c'), 'a b c');
  });
});

describe('the markdown subset of message text', async () => {
  const { messagePreview, parseInline, parseMarkdown } = await import('../src/lib/markdown.ts');

  it('previews a message as it reads: markers left out, one line', () => {
    assert.equal(messagePreview('See you ~~at 7~~ at **8**\n> bring `water`'), 'See you at 7 at 8 bring water');
    assert.equal(messagePreview('<b>raw</b> 5 * 3 * 2'), '<b>raw</b> 5 * 3 * 2');
  });

  it('formats bold, italic, strike, inline code and links, nested where it makes sense', () => {
    assert.deepEqual(parseInline('**bold** and *it* or _it_, ~~gone~~, `a*b*c` [docs](https://example.com/d)'), [
      { t: 'strong', children: [{ t: 'text', text: 'bold' }] },
      { t: 'text', text: ' and ' },
      { t: 'em', children: [{ t: 'text', text: 'it' }] },
      { t: 'text', text: ' or ' },
      { t: 'em', children: [{ t: 'text', text: 'it' }] },
      { t: 'text', text: ', ' },
      { t: 'del', children: [{ t: 'text', text: 'gone' }] },
      { t: 'text', text: ', ' },
      { t: 'code', text: 'a*b*c' },
      { t: 'text', text: ' ' },
      { t: 'link', href: 'https://example.com/d', children: [{ t: 'text', text: 'docs' }] },
    ]);
    assert.deepEqual(parseInline('**bold _and it_**'), [{ t: 'strong', children: [{ t: 'text', text: 'bold ' }, { t: 'em', children: [{ t: 'text', text: 'and it' }] }] }]);
  });

  it('leaves text that only looks like markup as written: arithmetic, snake_case, HTML, other link schemes', () => {
    for (const text of ['5 * 3 * 2 = 30', 'call snake_case_name()', '<b>not bold</b> <script>alert(1)</script>', '**', 'a ** b', '[x](javascript:alert(1))', '```unclosed']) {
      assert.deepEqual(parseInline(text), [{ t: 'text', text }], text);
    }
  });

  it('makes fenced code blocks and quotes blocks, and keeps everything else a paragraph with its line breaks', () => {
    assert.deepEqual(parseMarkdown('Look:\n```\nconst a = 1 < 2;\n**not bold**\n```\n> quoted *line*\n> second\nafter\nend'), [
      { t: 'para', children: [{ t: 'text', text: 'Look:' }] },
      { t: 'code', text: 'const a = 1 < 2;\n**not bold**' },
      { t: 'quote', children: [{ t: 'text', text: 'quoted ' }, { t: 'em', children: [{ t: 'text', text: 'line' }] }, { t: 'text', text: '\nsecond' }] },
      { t: 'para', children: [{ t: 'text', text: 'after\nend' }] },
    ]);
    assert.deepEqual(parseMarkdown('First line\nsecond line'), [{ t: 'para', children: [{ t: 'text', text: 'First line\nsecond line' }] }]);
  });
});
