/**
 * The methods served on a concrete path, from the routes the server registered: what a 405
 * answers in `Allow` when the path exists with other methods. Empty when no route has the
 * path (a 404). Parameters match one non-empty segment, as the router does; HEAD comes with GET.
 */
export function createAllowedMethods(routes: ReadonlyArray<{ method: string; path: string }>): (path: string) => string[] {
  const byPattern = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    let entry = byPattern.get(path);
    if (!entry) {
      const source = path.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      entry = { pattern: new RegExp(`^${source}$`, 'u'), methods: new Set() };
      byPattern.set(path, entry);
    }
    entry.methods.add(method);
    if (method === 'GET') entry.methods.add('HEAD');
  }
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: served } of byPattern.values()) if (pattern.test(path)) for (const method of served) methods.add(method);
    return [...methods].sort();
  };
}
