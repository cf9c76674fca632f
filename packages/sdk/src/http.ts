import {
  type AddMembersBody, type AuditQuery, type BanBody, type BodyOf, type ChangeRoleBody, type ConversationListQuery, type CreateConversationBody, type CreateInviteBody,
  type CreateReportBody, type DeliveredBody, type Endpoint, endpointPath, Endpoints, type ErrorResponse, type EventsQuery, type ForwardBody, type HeadsQuery, type LoginBody, type MembersQuery,
  type MessagesQuery, type MuteBody, type ParamsOf, type PresencePrivacy, type PushTokenBody, type QueryOf, type RegisterBody, type ReportsQuery, type ResolveReportBody,
  type ResponseOf, type SearchMessagesQuery, type SendMessageBody, type UpdatePrefsBody, type DirectoryQuery, type UpdateConversationBody, type UpdateMeBody, type UpdateSettingsBody,
} from '@parley/protocol';
import { ParleyError } from './errors.ts';

/** Where access tokens come from: Parley's own refresh tokens, or the product's identity provider. */
export interface TokenSource {
  /** The current access token, or null when signed out. */
  accessToken(): string | null;
  /** Gets a new access token (refresh); resolves null when that is impossible (signed out). */
  renew(): Promise<string | null>;
}

export interface HttpOptions {
  baseUrl: string;
  tokens: TokenSource;
  fetch?: typeof fetch;
}

/**
 * The input of one operation of the endpoint table: its path parameters and body when it
 * has them (required), its query when it has one (optional).
 */
export type CallInput<E extends Endpoint> =
  & (E['params'] extends object ? { params: ParamsOf<E> } : { params?: undefined })
  & (E['query'] extends object ? { query?: QueryOf<E> } : { query?: undefined })
  & (E['body'] extends object ? { body: BodyOf<E> } : { body?: undefined });

/**
 * Typed calls for every HTTP operation, routed by the endpoint table (no path is written
 * here). A `token_expired` answer renews the token once and retries; everything else
 * surfaces as a ParleyError with the server's code.
 */
export class HttpApi {
  private readonly baseUrl: string;
  private readonly tokens: TokenSource;
  private readonly fetchImpl: typeof fetch;

  constructor(options: HttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.tokens = options.tokens;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * Calls one operation of the endpoint table: its method and path, with the user's token
   * unless the operation is public.
   */
  async call<E extends Endpoint>(endpoint: E, input: CallInput<E>): Promise<ResponseOf<E>> {
    const auth = endpoint.access !== 'public';
    const path = endpointPath(endpoint, input.params as Record<string, unknown> | undefined);
    let token = auth ? this.tokens.accessToken() : null;
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(endpoint.method, path, input, token);
      if (response.ok) return (await response.json()) as ResponseOf<E>;
      const body = (await response.json().catch(() => undefined)) as ErrorResponse | undefined;
      const error = ParleyError.fromBody(body?.error, response.status);
      if (auth && attempt === 0 && error.code === 'token_expired') {
        token = await this.tokens.renew();
        if (token) continue;
      }
      throw error;
    }
  }

  private async send(method: string, path: string, input: { body?: unknown; query?: object }, token: string | null): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(input.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(url, { method, headers, ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}) });
    } catch (error) {
      throw new ParleyError('network', `network error: ${(error as Error).message}`);
    }
  }

  // --- auth (no token needed) ---
  register = (body: RegisterBody) => this.call(Endpoints.register, { body });
  login = (body: LoginBody) => this.call(Endpoints.login, { body });
  refresh = (refreshToken: string) => this.call(Endpoints.refresh, { body: { refreshToken } });
  logout = () => this.call(Endpoints.logout, {});

  // --- users ---
  me = () => this.call(Endpoints.getMe, {});
  updateMe = (body: UpdateMeBody) => this.call(Endpoints.updateMe, { body });
  user = (id: string) => this.call(Endpoints.getUser, { params: { id } });
  userByHandle = (handle: string) => this.call(Endpoints.getUserByHandle, { query: { handle } });

  // --- conversations ---
  createConversation = (body: CreateConversationBody) => this.call(Endpoints.createConversation, { body });
  conversations = (query: ConversationListQuery = {}) => this.call(Endpoints.listConversations, { query });
  conversation = (id: string) => this.call(Endpoints.getConversation, { params: { id } });
  updateConversation = (id: string, body: UpdateConversationBody) => this.call(Endpoints.updateConversation, { params: { id }, body });
  conversationByHandle = (handle: string) => this.call(Endpoints.getConversationByHandle, { params: { handle } });
  join = (id: string) => this.call(Endpoints.joinConversation, { params: { id } });
  members = (id: string, query: MembersQuery = {}) => this.call(Endpoints.listMembers, { params: { id }, query });
  addMembers = (id: string, body: AddMembersBody) => this.call(Endpoints.addMembers, { params: { id }, body });
  removeMember = (id: string, userId: string) => this.call(Endpoints.removeMember, { params: { id, userId } });
  leave = (id: string) => this.call(Endpoints.leaveConversation, { params: { id } });
  markRead = (id: string, seq: number) => this.call(Endpoints.markRead, { params: { id }, body: { seq } });

  // --- members and moderation ---
  setRole = (id: string, userId: string, body: ChangeRoleBody) => this.call(Endpoints.changeMemberRole, { params: { id, userId }, body });
  mute = (id: string, userId: string, body: MuteBody = {}) => this.call(Endpoints.muteMember, { params: { id, userId }, body });
  unmute = (id: string, userId: string) => this.call(Endpoints.unmuteMember, { params: { id, userId } });
  bans = (id: string) => this.call(Endpoints.listBans, { params: { id } });
  ban = (id: string, body: BanBody) => this.call(Endpoints.ban, { params: { id }, body });
  unban = (id: string, userId: string) => this.call(Endpoints.unban, { params: { id, userId } });
  transfer = (id: string, userId: string) => this.call(Endpoints.transferOwnership, { params: { id }, body: { userId } });
  reports = (id: string, query: ReportsQuery = {}) => this.call(Endpoints.listReports, { params: { id }, query });
  resolveReport = (id: string, reportId: string, body: ResolveReportBody) => this.call(Endpoints.resolveReport, { params: { id, reportId }, body });
  audit = (id: string, query: AuditQuery = {}) => this.call(Endpoints.listAudit, { params: { id }, query });
  report = (body: CreateReportBody) => this.call(Endpoints.createReport, { body });

  // --- invites ---
  createInvite = (id: string, body: CreateInviteBody = {}) => this.call(Endpoints.createInvite, { params: { id }, body });
  invites = (id: string) => this.call(Endpoints.listInvites, { params: { id } });
  revokeInvite = (id: string, code: string) => this.call(Endpoints.revokeInvite, { params: { id, code } });
  invite = (code: string) => this.call(Endpoints.getInvite, { params: { code } });
  joinByInvite = (code: string) => this.call(Endpoints.joinByInvite, { params: { code } });
  joinRequests = (id: string) => this.call(Endpoints.listJoinRequests, { params: { id } });
  approveJoin = (id: string, userId: string) => this.call(Endpoints.approveJoinRequest, { params: { id, userId } });
  declineJoin = (id: string, userId: string) => this.call(Endpoints.declineJoinRequest, { params: { id, userId } });

  // --- privacy ---
  blocks = () => this.call(Endpoints.listBlocks, {});
  block = (userId: string) => this.call(Endpoints.blockUser, { params: { id: userId } });
  unblock = (userId: string) => this.call(Endpoints.unblockUser, { params: { id: userId } });
  settings = () => this.call(Endpoints.getSettings, {});
  updateSettings = (body: UpdateSettingsBody) => this.call(Endpoints.updateSettings, { body });

  // --- messages ---
  sendMessage = (id: string, body: SendMessageBody) => this.call(Endpoints.sendMessage, { params: { id }, body });
  messages = (id: string, query: MessagesQuery = {}) => this.call(Endpoints.listMessages, { params: { id }, query });
  editMessage = (id: string, messageId: string, text: string) => this.call(Endpoints.editMessage, { params: { id, messageId }, body: { text } });
  forward = (id: string, body: ForwardBody) => this.call(Endpoints.forwardMessage, { params: { id }, body });
  react = (id: string, messageId: string, emoji: string) => this.call(Endpoints.addReaction, { params: { id, messageId, emoji } });
  unreact = (id: string, messageId: string, emoji: string) => this.call(Endpoints.removeReaction, { params: { id, messageId, emoji } });
  reactions = (id: string, messageId: string) => this.call(Endpoints.listReactions, { params: { id, messageId } });
  pins = (id: string) => this.call(Endpoints.listPins, { params: { id } });
  pin = (id: string, messageId: string) => this.call(Endpoints.pinMessage, { params: { id, messageId } });
  unpin = (id: string, messageId: string) => this.call(Endpoints.unpinMessage, { params: { id, messageId } });
  deleteMessage = (id: string, messageId: string) => this.call(Endpoints.deleteMessage, { params: { id, messageId } });

  // --- search, and your own view of your conversations ---
  searchMessages = (query: SearchMessagesQuery) => this.call(Endpoints.searchMessages, { query });
  searchUsers = (query: DirectoryQuery) => this.call(Endpoints.searchUsers, { query });
  searchConversations = (query: DirectoryQuery) => this.call(Endpoints.searchConversations, { query });
  updatePrefs = (id: string, body: UpdatePrefsBody) => this.call(Endpoints.updateConversationPrefs, { params: { id }, body });
  clearHistory = (id: string) => this.call(Endpoints.clearConversationHistory, { params: { id }, body: {} });
  retention = (id: string) => this.call(Endpoints.getRetention, { params: { id } });
  setRetention = (id: string, days: number | null) => this.call(Endpoints.setRetention, { params: { id }, body: { days } });
  hideMessages = (id: string, messageIds: string[]) => this.call(Endpoints.hideMessages, { params: { id }, body: { messageIds } });

  // --- logs ---
  events = (id: string, query: EventsQuery = {}) => this.call(Endpoints.listEvents, { params: { id }, query });
  userEvents = (query: EventsQuery = {}) => this.call(Endpoints.listUserEvents, { query });
  heads = (query: HeadsQuery = {}) => this.call(Endpoints.getHeads, { query });

  // --- receipts, presence, devices ---
  delivered = (body: DeliveredBody) => this.call(Endpoints.markDelivered, { body });
  messageReceipts = (id: string, messageId: string) => this.call(Endpoints.getMessageReceipts, { params: { id, messageId } });
  presence = (userId: string) => this.call(Endpoints.getPresence, { params: { id: userId } });
  presencePrivacy = () => this.call(Endpoints.getPresencePrivacy, {});
  setPresencePrivacy = (privacy: PresencePrivacy) => this.call(Endpoints.setPresencePrivacy, { body: { privacy } });
  devices = () => this.call(Endpoints.listDevices, {});
  revokeDevice = (sessionId: string) => this.call(Endpoints.revokeDevice, { params: { id: sessionId } });
  setPushToken = (body: PushTokenBody) => this.call(Endpoints.setPushToken, { body });
  clearPushToken = () => this.call(Endpoints.clearPushToken, {});
}
