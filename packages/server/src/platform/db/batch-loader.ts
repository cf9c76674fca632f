/**
 * Coalesces point reads issued in the same turn of the event loop into one `IN (...)`
 * query. A reconnect storm asks the store the same few questions once per socket
 * (who is this user, is this session live, what does this user belong to); answered one
 * by one, every connect costs a round trip, a statement and a pooled connection each.
 *
 * Keys asked for until the next `setImmediate` (so every frame read in one poll phase)
 * go out together, at most `maxBatch` per query; the same key asked twice is read once.
 * A failed query rejects only the keys it carried. Reads only, on the root executor:
 * a batch must never run inside somebody's transaction, and since a batch is issued
 * after every caller's request, it sees everything committed before any of them asked.
 */
export type BatchLoader<V> = (key: string) => Promise<V | undefined>;

interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

export function createBatchLoader<V>(loadMany: (keys: string[]) => Promise<Map<string, V>>, maxBatch = 200): BatchLoader<V> {
  let pending = new Map<string, Waiter<V>[]>();
  let scheduled = false;

  function run(batch: Map<string, Waiter<V>[]>): void {
    // A loader that throws instead of rejecting still settles every waiter.
    new Promise<Map<string, V>>((resolve) => resolve(loadMany([...batch.keys()]))).then(
      (found) => {
        for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key));
      },
      (error: unknown) => {
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    if (batch.size > 0) run(batch);
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiters = pending.get(key);
      if (waiters) {
        waiters.push({ resolve, reject });
        return;
      }
      pending.set(key, [{ resolve, reject }]);
      if (pending.size >= maxBatch) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
