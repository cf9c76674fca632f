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

  // New requests to join arrive live (a `join_request` frame to those who may answer them);
  // frames are not replayed, so the lists are read again after every reconnect, and when
  // someone joins (an invite's uses change).
  useEffect(() => {
    if (!allowed) return;
    const offRequest = client.on('joinRequest', (frame) => {
      if (frame.conversationId === conversationId) void load();
    });
    const offStatus = client.on('status', (status) => {
      if (status === 'live') void load();
    });
    const offEvent = client.on('event', (event) => {
      if (event.conversationId === conversationId && event.type === 'members.added') void load();
    });
    // A large group's joins come coalesced, not as events.
    const offMembers = client.on('membersChanged', (change) => {
      if (change.conversationId === conversationId) void load();
    });
    return () => {
      offRequest();
      offStatus();
      offEvent();
      offMembers();
    };
  }, [allowed, client, conversationId, load]);

  return { invites, requests, loadError, load };
}
