/**
 * A message goes out twice from the node that stored it: in the event frame published to
 * every member, and in the sender's ack. It is serialized once: `serializedOnce` stands in
 * for the message and keeps its JSON text, and `stringify` writes that text where the stand-in
 * is, so the bytes are those of serializing the message again. (`JSON.rawJSON` would do this
 * natively, but it takes only primitive values.)
 *
 * The text is kept per object in a WeakMap, so it goes when the message does; the message
 * objects a send makes are not changed after it commits.
 */
class SharedJson {
  readonly text: string;
  /** What `JSON.stringify` writes in its place: a string no frame contains (NUL is refused in input). */
  readonly slot: string;

  constructor(text: string, slot: string) {
    this.text = text;
    this.slot = slot;
  }

  toJSON(): string {
    written.push(this);
    return this.slot;
  }
}

const cache = new WeakMap<object, SharedJson>();
/** Stand-ins met by the `JSON.stringify` running now (it is synchronous, so one list serves). */
let written: SharedJson[] = [];
let nextSlot = 0;

/** A stand-in for `value` in a frame given to `stringify`: `value` is serialized on first use only. */
export function serializedOnce<T extends object>(value: T): T {
  let shared = cache.get(value);
  if (!shared) {
    shared = new SharedJson(JSON.stringify(value), `\u0000shared:${nextSlot}`);
    nextSlot = (nextSlot + 1) % 1_000_000_000;
    cache.set(value, shared);
  }
  return shared as unknown as T;
}

/** `JSON.stringify(value)`, with the text of every `serializedOnce` stand-in in its place. */
export function stringify(value: unknown): string {
  written = [];
  const text = JSON.stringify(value);
  if (written.length === 0) return text;
  const shared = written;
  written = [];
  let out = text;
  // A function as the replacement: the text is put in as it is (no `$&` patterns).
  for (const { slot, text: json } of shared) out = out.replace(JSON.stringify(slot), () => json);
  return out;
}
