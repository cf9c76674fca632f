import { hueOf, initials } from '../lib/format.ts';

export interface AvatarProps {
  /** Colour seed: the user's or the conversation's id. */
  id: string;
  name: string;
  size?: 'sm' | 'md' | 'lg';
  /** Slot for a presence dot (issue 4), drawn over the corner. */
  badge?: React.ReactNode;
}

/** Initials on a colour derived from the id; decorative (the name is always shown next to it). */
export function Avatar({ id, name, size = 'md', badge }: AvatarProps) {
  return (
    <span className={`avatar avatar-${size}`} style={{ '--avatar-hue': hueOf(id) } as React.CSSProperties} aria-hidden="true">
      {initials(name)}
      {badge}
    </span>
  );
}
