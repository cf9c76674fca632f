/**
 * Where group calls' media goes: a selective forwarding unit that Parley drives but never
 * carries media through. Parley decides who may be in a room and with what grants; the
 * backend enforces it (tokens), and tells Parley who actually is in it (webhooks).
 */
export interface MediaGrant {
  /** Audio, video and screen share: only with the `start_calls` right (a channel's subscribers listen only). */
  canPublish: boolean;
}

export interface MediaJoin {
  /** Where clients connect (the backend's public URL). */
  url: string;
  token: string;
  /** Null: valid as long as the room, until Parley withdraws it (Janus' `allowed` list). */
  expiresAt: number | null;
}

/** What a backend reports about its rooms, in Parley's terms. */
export type MediaEvent =
  | { type: 'participant_joined'; room: string; identity: string }
  | { type: 'participant_left'; room: string; identity: string }
  | { type: 'room_finished'; room: string };

export interface MediaBackend {
  readonly name: 'livekit' | 'janus';
  /** Makes the room ready before anyone joins (idempotent: an existing room is fine). */
  createRoom(room: string, options: { maxParticipants: number }): Promise<void>;
  /** Closes the room and disconnects whoever is still in it (a room already gone is fine). */
  deleteRoom(room: string): Promise<void>;
  /** A credential for one user to join one room with these grants. */
  join(room: string, identity: string, grant: MediaGrant, now: number): Promise<MediaJoin>;
  /** Disconnects a participant (kicked, banned, left): they cannot come back without a new token. */
  removeParticipant(room: string, identity: string): Promise<void>;
  /**
   * Verifies and reads a webhook from the backend: the exact body bytes and its
   * Authorization header. Throws when the signature does not hold; null for events Parley
   * does not act on.
   */
  receiveWebhook(body: string, authorization: string | undefined): Promise<MediaEvent | null>;
}
