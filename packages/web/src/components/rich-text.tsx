import { memo } from 'react';
import { linkify } from '../lib/linkify.ts';

/**
 * Message text as text: React escapes every string, and links are <a> elements built
 * from URLs that passed `safeHref` (http/https only). Line breaks are kept by CSS
 * (white-space: pre-wrap), not by inserting markup.
 */
export const RichText = memo(function RichText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((segment, index) =>
        segment.kind === 'link' ? (
          <a key={index} href={segment.href} target="_blank" rel="noopener noreferrer nofollow">
            {segment.text}
          </a>
        ) : (
          <span key={index}>{segment.text}</span>
        ),
      )}
    </>
  );
});
