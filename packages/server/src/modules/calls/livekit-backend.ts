import { AccessToken, RoomServiceClient, TwirpError, WebhookReceiver } from 'livekit-server-sdk';
import type { Logger } from '../../platform/logger.ts';
import type { MediaBackend, MediaEvent } from './media-backend.ts';

export interface LivekitOptions {
  /** What clients connect to (wss://…). */
  url: string;
  /** Where this server reaches LiveKit's Twirp API (http(s)://…). */
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  tokenTtlSec: number;
  logger: Logger;
}

/** A room with nobody in it closes after this long (LiveKit's `emptyTimeout`), so a call nobody ended leaves nothing behind. */
const EMPTY_TIMEOUT_SEC = 120;
/** Twirp requests to LiveKit give up after this long (seconds). */
const REQUEST_TIMEOUT_SEC = 5;

/**
 * LiveKit through its server SDK: rooms and removals over the Twirp room API, access
 * tokens signed locally with the API secret, webhooks verified by their JWT (which
 * carries the sha256 of the body). Identities are Parley user ids.
 */
export function createLivekitBackend(options: LivekitOptions): MediaBackend {
  const rooms = new RoomServiceClient(options.apiUrl, options.apiKey, options.apiSecret, { requestTimeout: REQUEST_TIMEOUT_SEC, failover: false });
  const receiver = new WebhookReceiver(options.apiKey, options.apiSecret);
  /** "Not found" from LiveKit means the room or participant is gone already, which is what was wanted. */
  const goneIsFine = (error: unknown) => {
    if (error instanceof TwirpError && (error.status === 404 || error.code === 'not_found')) return;
    throw error;
  };

  return {
    name: 'livekit',
    async createRoom(room, { maxParticipants }) {
      await rooms.createRoom({ name: room, emptyTimeout: EMPTY_TIMEOUT_SEC, maxParticipants });
    },
    async deleteRoom(room) {
      await rooms.deleteRoom(room).catch(goneIsFine);
    },
    async join(room, identity, grant, now) {
      const token = new AccessToken(options.apiKey, options.apiSecret, { identity, ttl: options.tokenTtlSec });
      token.addGrant({
        room,
        roomJoin: true,
        canSubscribe: true,
        canPublish: grant.canPublish,
        // Chat stays in Parley: the room's data channel is not a second, unmoderated one.
        canPublishData: false,
        canUpdateOwnMetadata: false,
      });
      return { url: options.url, token: await token.toJwt(), expiresAt: now + options.tokenTtlSec * 1000 };
    },
    async removeParticipant(room, identity) {
      await rooms.removeParticipant(room, identity).catch(goneIsFine);
    },
    async receiveWebhook(body, authorization): Promise<MediaEvent | null> {
      const event = await receiver.receive(body, authorization);
      const room = event.room?.name;
      if (!room) return null;
      switch (event.event) {
        case 'participant_joined':
          return event.participant?.identity ? { type: 'participant_joined', room, identity: event.participant.identity } : null;
        case 'participant_left':
        case 'participant_connection_aborted':
          return event.participant?.identity ? { type: 'participant_left', room, identity: event.participant.identity } : null;
        case 'room_finished':
          return { type: 'room_finished', room };
        default:
          options.logger.debug({ event: event.event, room }, 'LiveKit webhook not acted on');
          return null;
      }
    },
  };
}
