import type { ParleyError } from '@parley/sdk';

/** The SDK's errors, recognised without importing its class (which would pull the SDK into the first chunk). */
function isParleyError(error: unknown): error is ParleyError {
  return error instanceof Error && error.name === 'ParleyError' && 'code' in error;
}

/** A sentence for a person, from any failure. */
export function describeError(error: unknown): string {
  if (isParleyError(error)) {
    switch (error.code) {
      case 'network':
      case 'disconnected':
      case 'timeout':
        return 'Cannot reach the server. Check your connection and try again.';
      case 'invalid_credentials':
        return 'Wrong handle or password.';
      case 'handle_taken':
        return 'That handle is taken. Try another one.';
      case 'rate_limited':
        return 'Too many attempts. Wait a moment and try again.';
      case 'validation_failed': {
        const details = Array.isArray(error.details) ? (error.details as Array<{ path?: string; message?: string }>) : [];
        const first = details[0];
        if (first?.path) return `${fieldName(first.path)} ${first.message ?? 'is not valid'}.`;
        return error.message;
      }
      default:
        return error.message || 'Something went wrong.';
    }
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}

function fieldName(path: string): string {
  const name = path.replace(/^\//u, '').split('/')[0] ?? '';
  const known: Record<string, string> = { handle: 'Handle', password: 'Password', displayName: 'Display name', title: 'Title', text: 'Message' };
  return known[name] ?? (name ? name : 'Input');
}
