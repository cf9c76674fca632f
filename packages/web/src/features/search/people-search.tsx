import type { User } from '@parley/sdk';
import { useEffect, useId, useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { handleOf } from '../../lib/format.ts';
import './search.css';

/** Typing settles this long before the server is asked (the search rate limit allows searching as you type). */
const DEBOUNCE_MS = 250;

/**
 * "New chat": find people by name or the start of their handle (the server's people search,
 * which forgives a typo and follows privacy settings and blocks), and message one.
 */
export function PeopleSearch({ onOpened }: { onOpened(conversationId: string): void }) {
  const { client, users } = useApp();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<{ q: string; people: User[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const listId = useId();

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setFound(null);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      client.searchUsers(q, 8).then(
        (people) => {
          if (stale) return;
          for (const person of people) users.put(person);
          setFound({ q, people });
          setError(null);
        },
        (failure: unknown) => !stale && setError(describeError(failure)),
      );
    }, DEBOUNCE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, users, query]);

  const start = async (person: User) => {
    setBusy(true);
    try {
      onOpened((await client.createDirect(person.id)).id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  return (
    <div className="stack people-search">
      <label htmlFor={inputId}>Or find people by name</label>
      <input id={inputId} type="search" autoCapitalize="none" spellCheck={false} placeholder="Name or handle" maxLength={64} value={query} onChange={(event) => setQuery(event.target.value)} aria-controls={listId} />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {found && found.people.length === 0 && <p className="muted" role="status">Nobody found for “{found.q}”.</p>}
      {found && found.people.length > 0 && (
        <ul id={listId} className="people-results" aria-label="People found">
          {found.people.map((person) => (
            <li key={person.id} className="person-card">
              <Avatar id={person.id} name={person.displayName} picture={person.avatarId} />
              <div className="person-text">
                <strong>{person.displayName}</strong>
                <span>{handleOf(person)}</span>
              </div>
              <button type="button" className="button button-primary" disabled={busy} aria-label={`Message ${person.displayName}`} onClick={() => void start(person)}>
                Message
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
