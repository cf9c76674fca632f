import { joinPath } from '../../lib/router.ts';

/** The link to share: this client's `/join/<code>` page. */
export function inviteUrl(code: string): string {
  return `${location.origin}${joinPath(code)}`;
}
