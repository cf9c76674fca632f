/**
 * Above the list: the way into the archived conversations (hidden from the main list)
 * and back out. Shown only when there is something archived, or while viewing them.
 */
export function ArchivedToggle({ showing, count, onToggle }: { showing: boolean; count: number; onToggle(): void }) {
  if (!showing && count === 0) return null;
  return (
    <button type="button" className="archived-toggle" onClick={onToggle}>
      {showing ? '← Back to chats' : `Archived (${count})`}
    </button>
  );
}
