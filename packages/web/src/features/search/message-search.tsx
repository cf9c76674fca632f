import type { MessageSearchHit } from '@parley/protocol';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { FormError } from '../../components/form-error.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { conversationTitle, formatDateTime } from '../../lib/format.ts';
import { conversationPath, navigate } from '../../lib/router.ts';
import { jumpToMessage } from './jump-to-message.ts';
import './search.css';

type Has = '' | 'attachment' | 'link';

/** A snippet with its matched words in <mark> (ranges are UTF-16 indices into the text). */
function Snippet({ hit }: { hit: MessageSearchHit }) {
  const { text, highlights } = hit.snippet;
  const parts: Array<string | { mark: string }> = [];
  let at = 0;
  for (const { start, end } of [...highlights].sort((a, b) => a.start - b.start)) {
    if (start < at) continue;
    parts.push(text.slice(at, start), { mark: text.slice(start, end) });
    at = end;
  }
  parts.push(text.slice(at));
  return (
    <span className="search-snippet">
      {parts.map((part, i) => (typeof part === 'string' ? part : <mark key={i}>{part.mark}</mark>))}
    </span>
  );
}

/**
 * Search over every message you may read (the server's full-text search, docs/data.md):
 * results best match first with the words marked in context, filters for files and links,
 * more on demand; picking one opens its conversation and brings the message into view.
 */
export function MessageSearch({ open, onClose }: { open: boolean; onClose(): void }) {
  const { client, users } = useApp();
  const notify = useNotify();
  const [query, setQuery] = useState('');
  const [has, setHas] = useState<Has>('');
  const [results, setResults] = useState<{ q: string; hits: MessageSearchHit[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const listId = useId();
  useEffect(() => {
    if (!open) return;
    setError(null);
    queueMicrotask(() => input.current?.focus());
  }, [open]);

  const run = async (cursor?: string) => {
    const q = query.trim();
    if (!q) return;
    setBusy(true);
    setError(null);
    try {
      const page = await client.searchMessages(q, { ...(has ? { has } : {}), ...(cursor ? { cursor } : {}), limit: 20 });
      setResults((previous) => ({ q, hits: cursor && previous ? [...previous.hits, ...page.results] : page.results, next: page.nextCursor }));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run();
  };

  const show = (hit: MessageSearchHit) => {
    onClose();
    navigate(conversationPath(hit.message.conversationId));
    void jumpToMessage(client, hit.message.conversationId, hit.message).then(
      (shown) => !shown && notify('That message is not available any more.'),
      (failure: unknown) => notify(`Could not show the message: ${describeError(failure)}`),
    );
  };

  return (
    <Dialog title="Search messages" open={open} onClose={onClose} wide>
      <form className="search-form" role="search" onSubmit={submit}>
        <input ref={input} id={inputId} aria-label="Words to find" type="search" maxLength={256} placeholder="Words to find…" value={query} onChange={(event) => setQuery(event.target.value)} />
        <select aria-label="Only messages with" value={has} onChange={(event) => setHas(event.target.value as Has)}>
          <option value="">Any message</option>
          <option value="attachment">With files</option>
          <option value="link">With links</option>
        </select>
        <button type="submit" className="button button-primary" disabled={busy || !query.trim()}>Search</button>
      </form>
      <FormError error={error} />
      {results && (
        <>
          <p className="muted" role="status">
            {results.hits.length === 0 ? `Nothing found for “${results.q}”.` : `${results.hits.length}${results.next ? '+' : ''} ${results.hits.length === 1 ? 'message' : 'messages'} found.`}
          </p>
          <ul className="search-results" id={listId} aria-label="Messages found">
            {results.hits.map((hit) => {
              const summary = client.store.get(hit.message.conversationId)?.summary;
              const where = summary ? conversationTitle(summary) : 'A conversation';
              const who = hit.message.senderId === client.me?.id ? 'You' : users.name(hit.message.senderId);
              return (
                <li key={hit.message.id}>
                  <button type="button" className="search-hit" onClick={() => show(hit)}>
                    <span className="search-hit-meta">
                      <strong>{where}</strong> · {who} · <time dateTime={hit.message.createdAt}>{formatDateTime(hit.message.createdAt)}</time>
                    </span>
                    <Snippet hit={hit} />
                  </button>
                </li>
              );
            })}
          </ul>
          {results.next && (
            <button type="button" className="button" disabled={busy} onClick={() => void run(results.next!)}>More results</button>
          )}
        </>
      )}
    </Dialog>
  );
}
