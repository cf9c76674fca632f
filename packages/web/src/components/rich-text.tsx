import { memo, type ReactNode } from 'react';
import { type Block, type Inline, parseMarkdown } from '../lib/markdown.ts';

function inline(nodes: readonly Inline[]): ReactNode[] {
  return nodes.map((node, index) => {
    switch (node.t) {
      case 'text':
        return node.text;
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
