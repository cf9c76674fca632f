import type { ParleyClient } from '@parley/sdk';
import { useEffect, useState } from 'react';
import { conversationTitle } from '../../lib/format.ts';

/** Why a conversation the viewer had is gone (shown if it was open). */
export interface Departure {
  title: string;
  reason: 'left' | 'removed' | 'banned' | 'deleted' | 'gone';
}

/** Remembers why conversations disappear, so an open one can say so instead of vanishing. */
export function useDepartures(client: ParleyClient): ReadonlyMap<string, Departure> {
  const [departures, setDepartures] = useState<ReadonlyMap<string, Departure>>(new Map());
  useEffect(() => {
    const titles = new Map<string, string>();
    const offEvent = client.on('event', (event) => {
      if (event.type !== 'member.removed' || event.data.userId !== client.me?.id) return;
      const state = client.store.get(event.conversationId);
      const title = state ? conversationTitle(state.summary) : 'this conversation';
      titles.set(event.conversationId, title);
      setDepartures((map) => new Map(map).set(event.conversationId, { title, reason: event.data.reason }));
    });
    // A channel subscriber's removal is not named in the channel's log: their own log says why.
    const offRemoved = client.on('conversationRemoved', ({ conversationId, reason, last }) => {
      const title = titles.get(conversationId) ?? (last ? conversationTitle(last) : 'this conversation');
      setDepartures((map) => (map.has(conversationId) ? map : new Map(map).set(conversationId, { title, reason: reason ?? 'gone' })));
    });
    return () => {
      offEvent();
      offRemoved();
    };
  }, [client]);
  return departures;
}
