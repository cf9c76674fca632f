/** Schema errors as clients see them, the same on HTTP and the socket: where, and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export function validationDetails(errors: ReadonlyArray<{ instancePath: string; message: string; keyword: string; params?: unknown }>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    // "schema is false" repeats an additionalProperties error with less information.
    if (error.keyword === 'boolean') continue;
    const path = error.instancePath || '/';
    const extra = error.keyword === 'additionalProperties' ? `: ${((error.params as { additionalProperties?: string[] })?.additionalProperties ?? []).join(', ')}` : '';
    issues.push({ path, message: error.message + extra });
    if (issues.length >= 20) break;
  }
  return issues;
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
