import type { Invite, JoinRequest } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';

/** A conversation's active invite links and pending requests to join, kept fresh while `allowed`. */
export function useInviteAdmin(conversationId: string, allowed: boolean): { invites: Invite[] | null; requests: JoinRequest[]; loadError: string | null; load(): Promise<void> } {
  const { client } = useApp();
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [requests, setRequests] = useState<JoinRequest[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [list, pending] = await Promise.all([client.http.invites(conversationId), client.http.joinRequests(conversationId)]);
      setInvites(list.invites.filter((invite) => !invite.revoked));
      setRequests(pending.requests);
      setLoadError(null);
    } catch (failure) {
      setLoadError(`Could not load invite links: ${describeError(failure)}`);
    }
  }, [client, conversationId]);

  useEffect(() => {
    if (allowed) void load();
  }, [allowed, load]);

  // Admins hear of no new request to join (only the requester hears the answer): read the
  // list again now and then while the page is in view, on coming back to it, and when
  // someone joins (an invite's uses change).
  useEffect(() => {
    if (!allowed) return;
    const refresh = () => {
      if (document.visibilityState === 'visible') void load();
    };
    const timer = setInterval(refresh, 20_000);
    window.addEventListener('focus', refresh);
    document.addEventListener('visibilitychange', refresh);
    const off = client.on('event', (event) => {
      if (event.conversationId === conversationId && event.type === 'members.added') void load();
    });
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', refresh);
      document.removeEventListener('visibilitychange', refresh);
      off();
    };
  }, [allowed, client, conversationId, load]);

  return { invites, requests, loadError, load };
}
