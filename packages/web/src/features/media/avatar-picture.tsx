import { useEffect, useState } from 'react';
import { useFileUrl } from './use-file-url.ts';

/**
 * A user's avatar or a conversation's photo over the initials (which stay underneath while it
 * loads, and show again when it cannot be fetched). The preview first: avatars are small.
 */
export function AvatarPicture({ fileId }: { fileId: string }) {
  const [original, setOriginal] = useState(false);
  const link = useFileUrl(fileId, original ? 'original' : 'thumbnail');
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    if (link.failed && !original) setOriginal(true);
  }, [link.failed, original]);
  useEffect(() => setLoaded(false), [fileId]);
  if (!link.url) return null;
  return <img className={`avatar-picture${loaded ? ' loaded' : ''}`} src={link.url} alt="" data-file-id={fileId} onLoad={() => setLoaded(true)} onError={link.renew} />;
}
