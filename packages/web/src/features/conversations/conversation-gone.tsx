import { navigate } from '../../lib/router.ts';
import type { Departure } from './use-departures.ts';

/** In place of a conversation that is not there: never was, or the viewer left, was removed or banned. */
export function ConversationGone({ departure }: { departure: Departure | null }) {
  const text = !departure
    ? 'This conversation does not exist, or you are not a member.'
    : departure.reason === 'removed'
      ? `You were removed from ${departure.title}.`
      : departure.reason === 'banned'
        ? `You were banned from ${departure.title}.`
        : departure.reason === 'left'
          ? `You left ${departure.title}.`
          : `${departure.title} is no longer available to you.`;
  return (
    <div className="empty-main gone" role="status">
      <h2>{departure ? 'No longer a member' : 'Conversation not found'}</h2>
      <p>{text}</p>
      <button type="button" className="button button-primary" onClick={() => navigate('/')}>
        Back to conversations
      </button>
    </div>
  );
}
