/**
 * How text becomes searchable, the same way on both stores. The engines split words on
 * spaces and punctuation, which leaves Chinese, Japanese and Korean (written without
 * spaces, or with particles glued to words) as one long "word" nobody can search inside.
 * So before indexing, each CJK character becomes a word of its own, and a CJK run in a
 * query becomes a phrase of those characters: "東京" finds "東京タワーに行った" on both
 * stores, the way a unigram analyzer does. Latin diacritics are folded here too (PostgreSQL's
 * `simple` configuration keeps them; FTS5 would fold them itself), so "cafe" finds "café".
 *
 * A query is never handed to an engine as query syntax: it is cut into plain terms
 * (letters, digits, marks) that each engine then quotes or passes as a value, so quotes,
 * `OR`, `NEAR`, `-`, `*`, `:` and parentheses in what a user types mean nothing.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u30fc]/u;
const CJK_GLOBAL = new RegExp(CJK.source, 'gu');
/** A searchable word: letters, digits and combining marks (Arabic, Hebrew, Devanagari words keep their marks). */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
/** Combining diacritical marks (U+0300–U+036F) only: other scripts' marks are part of their letters. */
const LATIN_MARKS = /[\u0300-\u036f]/g;

/** Most terms one query is cut into; the rest is ignored (a query is a question, not a document). */
export const MAX_QUERY_TERMS = 16;
/** Longest single term kept (longer ones are truncated: nobody searches for a 200-letter word). */
const MAX_TERM_LENGTH = 64;

/** Lower case, compatibility forms unified (full-width Latin, ligatures), Latin diacritics removed. */
export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().normalize('NFD').replace(LATIN_MARKS, '').normalize('NFC');
}

/** The text an engine indexes for a message: folded, every CJK character its own word. */
export function documentText(text: string): string {
  return fold(text).replace(CJK_GLOBAL, ' $& ');
}

/** One thing a query asks for: a word, or a run of CJK characters that must appear together. */
export type QueryTerm = { kind: 'word'; text: string } | { kind: 'phrase'; chars: string[] };

/** What a query asks for, as plain terms; an empty list means there is nothing to search for. */
export function queryTerms(query: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  const seen = new Set<string>();
  for (const match of fold(query).matchAll(WORD)) {
    // A word mixing CJK and other letters ("iphone手机") splits at the script boundary.
    let rest = '';
    let run: string[] = [];
    const flush = () => {
      if (rest) add({ kind: 'word', text: rest.slice(0, MAX_TERM_LENGTH) });
      if (run.length) add({ kind: 'phrase', chars: run.slice(0, MAX_TERM_LENGTH) });
      rest = '';
      run = [];
    };
    const add = (term: QueryTerm) => {
      const key = term.kind === 'word' ? `w${term.text}` : `p${term.chars.join('')}`;
      if (seen.has(key) || terms.length >= MAX_QUERY_TERMS) return;
      seen.add(key);
      terms.push(term);
    };
    for (const char of match[0]) {
      if (CJK.test(char)) {
        if (rest) flush();
        run.push(char);
      } else {
        if (run.length) flush();
        rest += char;
      }
    }
    flush();
  }
  return terms;
}

/**
 * The one token a conversation's messages carry in SQLite's FTS5 index (column `conv`):
 * its id's letters and digits. Ids are opaque, so two could share a token; it only narrows
 * the scan, and the membership join still decides what is readable.
 */
export function conversationToken(conversationId: string): string {
  return `c${conversationId.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`;
}

/** An FTS5 MATCH expression for the terms: every term a quoted string (implicit AND), so nothing in it is syntax. */
export function fts5Match(terms: readonly QueryTerm[]): string {
  // Terms hold only letters, digits and marks, so there is no `"` to double; quoting makes
  // `AND`, `OR`, `NOT` and `NEAR` plain words.
  return terms.map((term) => `"${(term.kind === 'word' ? term.text : term.chars.join(' ')).replaceAll('"', '""')}"`).join(' ');
}

/** Longest name term kept. */
const MAX_NAME_TERM = 64;
const NAME_WORD = /[\p{L}\p{N}\p{M}_.]+/gu;

/**
 * The words a person or a conversation is found by: each word of the names given, folded,
 * and for handles like `alice.smith_2` both the whole handle and its parts.
 */
export function nameTerms(...texts: Array<string | null | undefined>): string[] {
  const words = new Set<string>();
  for (const text of texts) {
    for (const match of fold(text ?? '').matchAll(NAME_WORD)) {
      const word = match[0].replace(/^[_.]+|[_.]+$/g, '');
      if (!word) continue;
      words.add(word.slice(0, MAX_NAME_TERM));
      for (const part of word.split(/[_.]+/)) if (part) words.add(part.slice(0, MAX_NAME_TERM));
    }
  }
  return [...words];
}
