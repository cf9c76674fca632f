/** Who is acting: every service function that acts for a user takes one. */
export interface Actor {
  userId: string;
  /** The device session of a built-in login; null for tokens from an external identity provider. */
  sessionId: string | null;
}
