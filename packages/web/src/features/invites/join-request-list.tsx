import type { JoinRequest } from '@parley/protocol';
import { useId } from 'react';
import { useApp } from '../../hooks/context.ts';
import type { InviteAction } from './invite-links.tsx';
import '../../components/forms.css';
import './invites.css';

/** People waiting to be let in, with approve and decline. */
export function JoinRequestList({ conversationId, requests, act }: { conversationId: string; requests: JoinRequest[]; act: InviteAction }) {
  const { client } = useApp();
  const headingId = useId();
  return (
    <>
      <h3 id={headingId}>
        Requests to join <span className="muted">({requests.length})</span>
      </h3>
      {requests.length === 0 ? (
        <p className="list-status">No pending requests.</p>
      ) : (
        <ul className="gov-list" aria-labelledby={headingId}>
          {requests.map((request) => (
            <li key={request.userId} className="gov-row gov-request">
              <span>
                <strong>{request.user.displayName}</strong>
                {request.user.handle && <span className="muted"> @{request.user.handle}</span>}
              </span>
              <span className="gov-actions">
                <button type="button" className="button button-small button-primary" aria-label={`Approve ${request.user.displayName}`} onClick={() => act('approve', () => client.http.approveJoin(conversationId, request.userId))}>
                  Approve
                </button>
                <button type="button" className="button button-small" aria-label={`Decline ${request.user.displayName}`} onClick={() => act('decline', () => client.http.declineJoin(conversationId, request.userId))}>
                  Decline
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
