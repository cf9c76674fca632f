import { AvatarPicture } from '../features/media/avatar-picture.tsx';
import { hueOf, initials } from '../lib/format.ts';

export interface AvatarProps {
  /** Colour seed: the user's or the conversation's id. */
  id: string;
  name: string;
  size?: 'sm' | 'md' | 'lg';
  /** Slot for a presence dot (issue 4), drawn over the corner. */
  badge?: React.ReactNode;
  /** The user's `avatarId` or the conversation's `photoId`: shown over the initials when set. */
  picture?: string | null | undefined;
}

/** Initials on a colour derived from the id; decorative (the name is always shown next to it). */
export function Avatar({ id, name, size = 'md', badge, picture }: AvatarProps) {
  return (
    <span className={`avatar avatar-${size}`} style={{ '--avatar-hue': hueOf(id) } as React.CSSProperties} aria-hidden="true">
      {initials(name)}
      {picture && <AvatarPicture fileId={picture} />}
      {badge}
    </span>
  );
}
