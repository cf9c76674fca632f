import { EmojiPicker } from 'frimousse';
import './emoji.css';

/** The emoji data ships with the client (vite's emoji-data plugin): the picker fetches nothing from elsewhere. */
const EMOJI_DATA_URL = '/emoji';

/**
 * Every emoji, searchable, by category, with skin tones: frimousse (MIT, unstyled, React),
 * styled here. Loaded on first use only (see `EmojiPickerDialog`), so none of it is in the
 * first load.
 */
export default function EmojiPickerPanel({ onPick }: { onPick(emoji: string): void }) {
  return (
    <EmojiPicker.Root className="emoji-picker" emojibaseUrl={EMOJI_DATA_URL} columns={8} onEmojiSelect={({ emoji }) => onPick(emoji)}>
      <div className="emoji-picker-top">
        <EmojiPicker.Search className="emoji-picker-search" placeholder="Search emoji" aria-label="Search emoji" autoFocus />
        <EmojiPicker.SkinToneSelector className="emoji-picker-skin" aria-label="Change skin tone" />
      </div>
      <EmojiPicker.Viewport className="emoji-picker-viewport">
        <EmojiPicker.Loading className="emoji-picker-status">Loading emoji…</EmojiPicker.Loading>
        <EmojiPicker.Empty className="emoji-picker-status">No emoji found.</EmojiPicker.Empty>
        <EmojiPicker.List
          className="emoji-picker-list"
          components={{
            CategoryHeader: ({ category, ...props }) => (
              <div className="emoji-picker-category" {...props}>
                {category.label}
              </div>
            ),
            Emoji: ({ emoji, ...props }) => (
              <button type="button" className="emoji-picker-emoji" aria-label={emoji.label} {...props}>
                {emoji.emoji}
              </button>
            ),
          }}
        />
      </EmojiPicker.Viewport>
    </EmojiPicker.Root>
  );
}
