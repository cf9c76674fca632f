/**
 * Pages are read by count, then cut by size: a page of 500 events each carrying 16,000
 * escaped control characters would be ~50 MB of JSON, held in memory until a slow client
 * has read it. `withinBytes` keeps the longest prefix whose JSON stays within a byte budget
 * (never less than `atLeast` items, so a reader always moves forward; one item can be larger
 * than the budget only because a single message may be); callers answer `hasMore: true`
 * when they cut, and the client pages on as it does after any full page.
 *
 * Measuring stringifies each item once more than the answer does; the items are the page
 * that would otherwise be sent whole, so the cost is bounded by the page it protects.
 */
export function withinBytes<T>(items: readonly T[], maxBytes: number, atLeast = 1, from: 'start' | 'end' = 'start'): { kept: T[]; bytes: number } {
  // A page read backwards (the latest messages, or those before a seq) is paged on from its
  // oldest item, so it keeps its newest end: cutting the other end would leave a hole
  // between what the reader has and what it asks for next.
  const ordered = from === 'start' ? items : [...items].reverse();
  let bytes = 0;
  let count = 0;
  for (const item of ordered) {
    // +1 for the comma between items.
    const size = Buffer.byteLength(JSON.stringify(item), 'utf8') + 1;
    if (count >= atLeast && bytes + size > maxBytes) break;
    bytes += size;
    count++;
  }
  if (count === items.length) return { kept: [...items], bytes };
  return { kept: from === 'start' ? items.slice(0, count) : items.slice(items.length - count), bytes };
}
