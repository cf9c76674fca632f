/** Schema errors as clients see them, the same on HTTP and the socket: where, and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

const MAX_ISSUES = 20;

export function validationDetails(errors: ReadonlyArray<{ instancePath: string; message: string; keyword: string; schemaPath?: string; params?: unknown }>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  // Unknown properties, by the object they were found in. The compiler reports them either
  // as one `additionalProperties` error or (when it stops early, as with many of them) only
  // as "schema is false" per property: both become one issue naming them.
  const unknown = new Map<string, string[]>();
  for (const error of errors) {
    if (error.keyword === 'additionalProperties' || (error.keyword === 'boolean' && error.schemaPath?.endsWith('/additionalProperties'))) {
      const names = error.keyword === 'additionalProperties'
        ? ((error.params as { additionalProperties?: string[] })?.additionalProperties ?? [])
        : [error.instancePath.slice(error.instancePath.lastIndexOf('/') + 1)];
      const parent = error.keyword === 'additionalProperties' ? error.instancePath || '/' : error.instancePath.slice(0, error.instancePath.lastIndexOf('/')) || '/';
      const known = unknown.get(parent) ?? [];
      for (const name of names) if (!known.includes(name)) known.push(name);
      unknown.set(parent, known);
      continue;
    }
    if (error.keyword === 'boolean') continue;
    if (issues.length < MAX_ISSUES) issues.push({ path: error.instancePath || '/', message: error.message });
  }
  for (const [path, names] of unknown) {
    const shown = names.slice(0, 10).map((name) => name.replaceAll('~1', '/').replaceAll('~0', '~')).join(', ');
    issues.push({ path, message: `must NOT have additional properties: ${shown}${names.length > 10 ? ` and ${names.length - 10} more` : ''}` });
  }
  // Never empty: validation_failed promises at least one detail.
  return issues.length > 0 ? issues.slice(0, MAX_ISSUES) : [{ path: '/', message: 'does not match the schema' }];
}

/**
 * Where the first string (or key) of a parsed request is text that storage cannot keep
 * as sent: a NUL character (PostgreSQL refuses it, so the request would fail as an
 * internal error) or an unpaired surrogate (it would be silently replaced). Null when clean.
 */
export function findUnstorableText(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') || !value.isWellFormed() ? path || '/' : null;
  if (typeof value !== 'object' || value === null || depth > 64) return null;
  for (const [key, item] of Object.entries(value)) {
    const itemPath = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (key.includes('\u0000') || !key.isWellFormed()) return itemPath;
    const found = findUnstorableText(item, itemPath, depth + 1);
    if (found) return found;
  }
  return null;
}
