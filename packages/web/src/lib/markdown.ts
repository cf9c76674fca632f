import { previewText } from './format.ts';
import { linkify, safeHref } from './linkify.ts';

/**
 * A small, safe markdown subset for message text: **bold** (or __bold__), *italic* (or
 * _italic_), ~~strike~~, `inline code`, ``` code blocks ```, > quotes, [label](https://…)
 * links and bare http(s) links. The result is a tree of plain data that the client renders
 * as React elements: no HTML is ever parsed or produced from message text, so markup in a
 * message stays text. Links pass `safeHref` (http and https only).
 */
export type Inline =
  | { t: 'text'; text: string }
  | { t: 'code'; text: string }
  | { t: 'link'; href: string; children: Inline[] }
  | { t: 'strong' | 'em' | 'del'; children: Inline[] };

export type Block = { t: 'para'; children: Inline[] } | { t: 'code'; text: string } | { t: 'quote'; children: Inline[] };

const FENCE = /^\s*```/u;
const QUOTE = /^>\s?/u;

/** Splits text into paragraphs (line breaks kept as text), fenced code blocks and quotes. */
export function parseMarkdown(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length > 0) blocks.push({ t: 'para', children: parseInline(para.join('\n')) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (FENCE.test(line)) {
      const end = lines.findIndex((candidate, index) => index > i && FENCE.test(candidate));
      // An unclosed fence is text, as written.
      if (end < 0) {
        para.push(line);
        continue;
      }
      flush();
      blocks.push({ t: 'code', text: lines.slice(i + 1, end).join('\n') });
      i = end;
    } else if (QUOTE.test(line)) {
      flush();
      const quoted: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) quoted.push(lines[i++]!.replace(QUOTE, ''));
      i--;
      blocks.push({ t: 'quote', children: parseInline(quoted.join('\n')) });
    } else {
      para.push(line);
    }
  }
  flush();
  return blocks;
}

/**
 * Inline spans, the first to start winning: code spans (nothing inside is formatted), links
 * with a label, then emphasis. Markers must hug their text (`a * b * c` stays as written) and
 * `_` works only at word edges (snake_case stays as written).
 */
const INLINE = new RegExp(
  [
    /`([^`\n]+)`/u.source,
    /\[([^\]\n]+)\]\(([^)\s]+)\)/u.source,
    /\*\*(?=\S)([^\n]*?\S)\*\*/u.source,
    /(?<![\p{L}\p{N}_])__(?=\S)([^\n]*?\S)__(?![\p{L}\p{N}_])/u.source,
    /~~(?=\S)([^\n]*?\S)~~/u.source,
    /(?<![\p{L}\p{N}*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\p{L}\p{N}*])/u.source,
    /(?<![\p{L}\p{N}_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\p{L}\p{N}_])/u.source,
  ].join('|'),
  'gu',
);

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  const plain = (chunk: string) => {
    for (const segment of linkify(chunk)) {
      if (segment.kind === 'link') out.push({ t: 'link', href: segment.href, children: [{ t: 'text', text: segment.text }] });
      else if (out.at(-1)?.t === 'text') (out.at(-1) as { text: string }).text += segment.text;
      else out.push({ t: 'text', text: segment.text });
    }
  };
  for (const match of text.matchAll(INLINE)) {
    const [whole, code, label, url, strong, strong2, del, em, em2] = match;
    let node: Inline | null = null;
    if (code !== undefined) node = { t: 'code', text: code };
    else if (label !== undefined && url !== undefined) {
      const href = safeHref(url);
      // Not an http(s) link: the whole thing stays text.
      node = href ? { t: 'link', href, children: parseInline(label).filter((child) => child.t !== 'link') } : null;
    } else if (strong !== undefined || strong2 !== undefined) node = { t: 'strong', children: parseInline((strong ?? strong2)!) };
    else if (del !== undefined) node = { t: 'del', children: parseInline(del) };
    else if (em !== undefined || em2 !== undefined) node = { t: 'em', children: parseInline((em ?? em2)!) };
    if (!node) continue;
    if (match.index > last) plain(text.slice(last, match.index));
    out.push(node);
    last = match.index + whole.length;
  }
  if (last < text.length) plain(text.slice(last));
  return out;
}

/** The text a reader sees, without the markers. */
export function plainText(blocks: readonly Block[]): string {
  const inline = (nodes: readonly Inline[]): string => nodes.map((node) => ('children' in node ? inline(node.children) : node.text)).join('');
  return blocks.map((block) => (block.t === 'code' ? block.text : inline(block.children))).join('\n');
}

/** A message shortened to one line for lists, quotes and bars: what it reads as, markers left out. */
export function messagePreview(text: string, max?: number): string {
  return previewText(plainText(parseMarkdown(text)), max);
}
