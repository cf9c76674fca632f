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
