import { EmojiPicker } from 'frimousse';
import './emoji.css';

/** The emoji data ships with the client (vite's emoji-data plugin): the picker fetches nothing from elsewhere. */
const EMOJI_DATA_URL = '/emoji';

/**
 * Every emoji, searchable, by category, with skin tones: frimousse (MIT, unstyled, React),
 * styled here. Loaded on first use only (see `EmojiPickerDialog`), so none of it is in the
 * first load.
 */
/** The index ARIA expects (from 1) for one frimousse gives from 0; nothing when it gives none. */
function oneBased(props: { 'aria-rowindex'?: number | undefined; 'aria-colindex'?: number | undefined }, name: 'aria-rowindex' | 'aria-colindex') {
  const index = props[name];
  return typeof index === 'number' ? { [name]: index + 1 } : {};
}

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
            // frimousse counts rows and columns from 0; ARIA's indexes start at 1 (axe: aria-valid-attr-value).
            Row: ({ children, ...props }) => (
              <div {...props} {...oneBased(props, 'aria-rowindex')}>
                {children}
              </div>
            ),
            Emoji: ({ emoji, ...props }) => (
              <button type="button" className="emoji-picker-emoji" aria-label={emoji.label} {...props} {...oneBased(props, 'aria-colindex')}>
                {emoji.emoji}
              </button>
            ),
          }}
        />
      </EmojiPicker.Viewport>
    </EmojiPicker.Root>
  );
}
