/**
 * Whether text links somewhere: a scheme, a `www.`, or a bare domain with a common top-level
 * domain. Deliberately simple: it errs towards calling something a link. Sending a link needs
 * `send_links`, and search's `has=link` filter finds messages by it (the search index keeps
 * the answer per message), so both agree on what a link is.
 */
const LINK = /\b(?:https?:\/\/|www\.)\S|\b[a-z0-9-]{1,63}\.(?:com|net|org|io|dev|app|co|me|info|biz|xyz|gg|tv|ly|link|site|online|ru|de|uk|fr|es|it|nl|br|in|cn|jp)\b/i;

export const hasLinks = (text: string): boolean => LINK.test(text);
