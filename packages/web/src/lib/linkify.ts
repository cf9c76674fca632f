/**
 * Splits message text into plain text and links. Only http(s) URLs (and bare `www.`
 * hosts, shown as written and opened over https) become links; everything else,
 * including `javascript:` and `data:` URLs and any markup, stays text. The result is
 * rendered as React text nodes and <a> elements, never as HTML.
 */
export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/giu;
/** Punctuation that usually ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?…'")\]}>]+$/u;

export function safeHref(candidate: string): string | null {
  const withScheme = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}

/** Keeps a closing bracket that belongs to the URL, e.g. https://en.wikipedia.org/wiki/Foo_(bar). */
function trimTrailing(candidate: string): string {
  let trimmed = candidate.replace(TRAILING, '');
  const rest = candidate.slice(trimmed.length);
  for (const char of rest) {
    const open = char === ')' ? '(' : char === ']' ? '[' : null;
    if (open && count(trimmed, open) > count(trimmed, char)) trimmed += char;
    else break;
  }
  return trimmed;
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

export function linkify(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    const candidate = trimTrailing(match[0]);
    const href = candidate.length > 0 ? safeHref(candidate) : null;
    if (!href) continue;
    if (start > last) segments.push({ kind: 'text', text: text.slice(last, start) });
    segments.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) segments.push({ kind: 'text', text: text.slice(last) });
  return segments;
}
