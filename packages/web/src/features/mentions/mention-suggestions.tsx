import { Avatar } from '../../components/avatar.tsx';
import type { MentionAutocomplete } from './use-mention-autocomplete.ts';
import './mentions.css';

/** The members offered for an `@` in the composer; the pointer picks one too (mouse down, so the text box keeps the focus). */
export function MentionSuggestions({ mention }: { mention: MentionAutocomplete }) {
  if (mention.candidates.length === 0) return null;
  return (
    <ul className="mention-list" role="listbox" id={mention.listId} aria-label="Mention someone">
      {mention.candidates.map((member, index) => (
        <li
          key={member.userId}
          id={mention.optionId(index)}
          role="option"
          aria-selected={index === mention.active}
          className="mention-option"
          onMouseDown={(event) => {
            event.preventDefault();
            mention.choose(member);
          }}
        >
          <Avatar id={member.userId} name={member.user.displayName} size="sm" picture={member.user.avatarId} />
          <span className="mention-name">{member.user.displayName}</span>
          <span className="mention-handle">@{member.user.handle}</span>
        </li>
      ))}
    </ul>
  );
}
