import type { Member } from '@parley/protocol';
import { type KeyboardEvent, type RefObject, useId, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { completeMention, mentionAt, mentionCandidates } from './mention-query.ts';

export interface MentionAutocomplete {
  /** Members offered for the `@` being typed (empty: no list shown). */
  candidates: Member[];
  active: number;
  listId: string;
  optionId(index: number): string;
  /** Props for the textarea (a textbox: `aria-expanded` is not allowed on it): it keeps the focus, the active option is announced. */
  inputProps: { 'aria-autocomplete': 'list'; 'aria-controls'?: string; 'aria-activedescendant'?: string };
  /** After every change of text or caret. */
  update(text: string, caret: number): void;
  /** Arrows move, Enter or Tab takes, Esc closes: true when the key was the list's. */
  onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean;
  choose(member: Member): void;
}

/**
 * `@` in the composer offers the conversation's members by handle or name; taking one
 * writes `@handle ` (the server turns it into the member's id on the message). The list is
 * the composer's popup: focus never leaves the text box.
 */
export function useMentionAutocomplete(conversationId: string, input: RefObject<HTMLTextAreaElement | null>, setText: (text: string) => void): MentionAutocomplete {
  const { client } = useApp();
  const [at, setAt] = useState<{ start: number; caret: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const listId = useId();
  const members = client.store.get(conversationId)?.members;
  const candidates = at && members && dismissed !== at.start ? mentionCandidates(members.values(), at.query, client.me?.id ?? null) : [];
  const index = Math.min(active, Math.max(0, candidates.length - 1));
  const optionId = (i: number) => `${listId}-${i}`;

  const choose = (member: Member) => {
    const box = input.current;
    if (!at || !box || !member.user.handle) return;
    const done = completeMention(box.value, at.start, at.caret, member.user.handle);
    setText(done.text);
    setAt(null);
    requestAnimationFrame(() => {
      box.focus();
      box.setSelectionRange(done.caret, done.caret);
    });
  };

  return {
    candidates,
    active: index,
    listId,
    optionId,
    inputProps: {
      'aria-autocomplete': 'list',
      ...(candidates.length > 0 ? { 'aria-controls': listId, 'aria-activedescendant': optionId(index) } : {}),
    },
    update(text, caret) {
      const found = mentionAt(text, caret);
      setAt(found ? { ...found, caret } : null);
      if (!found || found.start !== at?.start) setDismissed(null);
      if (found?.query !== at?.query) setActive(0);
    },
    onKeyDown(event) {
      if (candidates.length === 0) return false;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setActive((index + step + candidates.length) % candidates.length);
      } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
        choose(candidates[index]!);
      } else if (event.key === 'Escape') {
        setDismissed(at!.start);
      } else {
        return false;
      }
      event.preventDefault();
      return true;
    },
    choose,
  };
}
