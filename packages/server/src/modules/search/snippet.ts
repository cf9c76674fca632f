import { fold, type QueryTerm } from '../search-index/index.ts';

/** A piece of a message's text around what matched, with the matched parts marked. */
export interface Snippet {
  text: string;
  /** Ranges of `text` to highlight, `[start, end)` in UTF-16 code units (JavaScript string indices), in order, not overlapping. */
  highlights: Array<{ start: number; end: number }>;
}

/** Longest snippet, in UTF-16 code units, before the ellipses. */
export const SNIPPET_LENGTH = 160;
/** How much text is kept before the first highlight when the text is cut. */
const LEAD = 48;

const CJK_CLASS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3005\\u30fc';
/** Words as a reader sees them, CJK characters excepted (those are matched as phrases). */
const WORD = new RegExp(`(?:(?![${CJK_CLASS}])[\\p{L}\\p{N}\\p{M}])+`, 'gu');

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Whether a word of the text is (a form of) a term. The engines stem (`running` is found
 * by `run`), so a word that shares a long enough start with a term is marked too: at least
 * three characters, and all but two of the shorter one. It errs towards marking.
 */
function sameWord(word: string, term: string): boolean {
  if (word === term) return true;
  const shared = commonPrefix(word, term);
  return shared >= 3 && shared >= Math.min(word.length, term.length) - 2;
}

/** Every place in `text` that the terms matched, sorted and merged. */
export function matchRanges(text: string, terms: readonly QueryTerm[]): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  const words = terms.flatMap((term) => (term.kind === 'word' ? [term.text] : []));
  if (words.length > 0) {
    for (const match of text.matchAll(WORD)) {
      const folded = fold(match[0]);
      if (words.some((word) => sameWord(folded, word))) ranges.push({ start: match.index, end: match.index + match[0].length });
    }
  }
  for (const term of terms) {
    if (term.kind !== 'phrase') continue;
    const phrase = term.chars.join('');
    for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + phrase.length)) ranges.push({ start: at, end: at + phrase.length });
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: typeof ranges = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** Moves an index off the second half of a surrogate pair, so a cut never splits a character. */
function onCharBoundary(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return index > 0 && index < text.length && code >= 0xdc00 && code <= 0xdfff ? index - 1 : index;
}

/** The part of a message worth showing for a query: all of it when short, else a window from just before the first match. */
export function snippet(text: string, terms: readonly QueryTerm[]): Snippet {
  const ranges = matchRanges(text, terms);
  if (text.length <= SNIPPET_LENGTH) return { text, highlights: ranges };
  const first = ranges[0]?.start ?? 0;
  let start = Math.max(0, first - LEAD);
  // Start at a word when one begins shortly after the cut.
  if (start > 0) {
    const space = text.slice(start, first).search(/\s/);
    if (space !== -1 && space < 16) start += space + 1;
  }
  start = onCharBoundary(text, start);
  const end = onCharBoundary(text, Math.min(text.length, start + SNIPPET_LENGTH));
  const prefix = start > 0 ? '…' : '';
  const suffix = end < text.length ? '…' : '';
  const shift = prefix.length - start;
  const highlights = ranges
    .filter((range) => range.end > start && range.start < end)
    .map((range) => ({ start: Math.max(range.start, start) + shift, end: Math.min(range.end, end) + shift }));
  return { text: prefix + text.slice(start, end) + suffix, highlights };
}
