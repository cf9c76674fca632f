/** Milliseconds since the epoch; injected where tests need to move time. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** Storage keeps epoch milliseconds; the wire speaks ISO 8601. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
