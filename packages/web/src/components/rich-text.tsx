import { memo, type ReactNode } from 'react';
import { type Block, type Inline, parseMarkdown } from '../lib/markdown.ts';

/** `@handle` as the server reads it (messages.service.ts): not glued to a word or an address before it. */
const MENTION = /(?<![A-Za-z0-9_.@])@[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/gu;

/** Text with its `@handle`s as spans, still text nodes inside: nothing is interpreted. */
function withMentions(text: string, key: number): ReactNode {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    if (match[0].length < 4) continue;
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(<span key={match.index} className="mention">{match[0]}</span>);
    last = match.index + match[0].length;
  }
  if (parts.length === 0) return text;
  if (last < text.length) parts.push(text.slice(last));
  return <span key={key}>{parts}</span>;
}

function inline(nodes: readonly Inline[]): ReactNode[] {
  return nodes.map((node, index) => {
    switch (node.t) {
      case 'text':
        return withMentions(node.text, index);
      case 'code':
        return <code key={index}>{node.text}</code>;
      case 'link':
        return (
          <a key={index} href={node.href} target="_blank" rel="noopener noreferrer nofollow">
            {inline(node.children)}
          </a>
        );
      case 'strong':
        return <strong key={index}>{inline(node.children)}</strong>;
      case 'em':
        return <em key={index}>{inline(node.children)}</em>;
      case 'del':
        return <del key={index}>{inline(node.children)}</del>;
    }
  });
}

function block(node: Block, index: number): ReactNode {
  if (node.t === 'code') {
    return (
      <pre key={index} className="md-code">
        <code>{node.text}</code>
      </pre>
    );
  }
  if (node.t === 'quote') return <blockquote key={index} className="md-quote">{inline(node.children)}</blockquote>;
  return <span key={index} className="md-para">{inline(node.children)}</span>;
}

/**
 * Message text with a small markdown subset (see lib/markdown.ts), rendered as React
 * elements: every piece of the message is a text node, never HTML, and links are <a>
 * elements built from URLs that passed `safeHref` (http/https only). Line breaks inside a
 * paragraph are kept by CSS (white-space: pre-wrap), not by inserting markup.
 */
export const RichText = memo(function RichText({ text }: { text: string }) {
  return <>{parseMarkdown(text).map(block)}</>;
});
