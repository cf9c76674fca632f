import type { DeliveredBody, DevicesResponse, MessageReceiptsResponse, PresenceResponse, PresenceSettings, PresencePrivacy, PushTokenBody } from '@parley/protocol';
import type {
  AuditResponse, BanBody, BansResponse, BlocksResponse, ChangeRoleBody, CreateInviteBody, CreateReportBody, ForwardBody, InvitePreviewResponse, InviteResponse, InvitesResponse,
  JoinRequestsResponse, JoinResponse, MuteBody, PinsResponse, PreviewResponse, ReactionsResponse, ReportResponse, ReportsResponse, ResolveReportBody, SettingsResponse,
  UpdateConversationBody, UpdateSettingsBody,
  AddMembersBody, AuthResponse, ConversationListResponse, ConversationResponse, CreateConversationBody, ErrorResponse, EventsResponse,
  HeadsResponse, LoginBody, MeResponse, MembersResponse, MessageResponse, MessagesResponse, ReadResponse, RegisterBody, SendMessageBody,
  SeqResponse, UserEventsResponse, UserResponse,
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

type Query = Record<string, string | number | undefined>;

/** The path of one conversation. */
const c = (id: string) => `/v1/conversations/${encodeURIComponent(id)}`;

/**
 * Typed calls for every HTTP route. A `token_expired` answer renews the token once and
 * retries; everything else surfaces as a ParleyError with the server's code.
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

  async request<T>(method: string, path: string, options: { body?: unknown; query?: Query; auth?: boolean } = {}): Promise<T> {
    const auth = options.auth ?? true;
    let token = auth ? this.tokens.accessToken() : null;
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(method, path, options, token);
      if (response.ok) return (await response.json()) as T;
      const body = (await response.json().catch(() => undefined)) as ErrorResponse | undefined;
      const error = ParleyError.fromBody(body?.error, response.status);
      if (auth && attempt === 0 && error.code === 'token_expired') {
        token = await this.tokens.renew();
        if (token) continue;
      }
      throw error;
    }
  }

  private async send(method: string, path: string, options: { body?: unknown; query?: Query }, token: string | null): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(url, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    } catch (error) {
      throw new ParleyError('network', `network error: ${(error as Error).message}`);
    }
  }

  // --- auth (no token needed) ---
  register = (body: RegisterBody) => this.request<AuthResponse>('POST', '/v1/auth/register', { body, auth: false });
  login = (body: LoginBody) => this.request<AuthResponse>('POST', '/v1/auth/login', { body, auth: false });
  refresh = (refreshToken: string) => this.request<AuthResponse>('POST', '/v1/auth/refresh', { body: { refreshToken }, auth: false });
  logout = () => this.request<Record<string, never>>('POST', '/v1/auth/logout');

  // --- users ---
  me = () => this.request<MeResponse>('GET', '/v1/me');
  updateMe = (body: { displayName?: string }) => this.request<UserResponse>('PATCH', '/v1/me', { body });
  user = (id: string) => this.request<UserResponse>('GET', `/v1/users/${encodeURIComponent(id)}`);
  userByHandle = (handle: string) => this.request<UserResponse>('GET', '/v1/users', { query: { handle } });

  // --- conversations ---
  createConversation = (body: CreateConversationBody) => this.request<ConversationResponse>('POST', '/v1/conversations', { body });
  conversations = (query: { cursor?: string; limit?: number } = {}) => this.request<ConversationListResponse>('GET', '/v1/conversations', { query });
  conversation = (id: string) => this.request<ConversationResponse>('GET', `/v1/conversations/${encodeURIComponent(id)}`);
  updateConversation = (id: string, body: UpdateConversationBody) => this.request<ConversationResponse>('PATCH', `/v1/conversations/${encodeURIComponent(id)}`, { body });
  conversationByHandle = (handle: string) => this.request<PreviewResponse>('GET', `/v1/conversations/by-handle/${encodeURIComponent(handle)}`);
  join = (id: string) => this.request<JoinResponse>('POST', `/v1/conversations/${encodeURIComponent(id)}/join`);
  members = (id: string, query: { cursor?: string; limit?: number } = {}) => this.request<MembersResponse>('GET', `/v1/conversations/${encodeURIComponent(id)}/members`, { query });
  addMembers = (id: string, body: AddMembersBody) => this.request<SeqResponse>('POST', `/v1/conversations/${encodeURIComponent(id)}/members`, { body });
  removeMember = (id: string, userId: string) => this.request<SeqResponse>('DELETE', `/v1/conversations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`);
  leave = (id: string) => this.request<SeqResponse>('POST', `/v1/conversations/${encodeURIComponent(id)}/leave`);
  markRead = (id: string, seq: number) => this.request<ReadResponse>('POST', `/v1/conversations/${encodeURIComponent(id)}/read`, { body: { seq } });

  // --- members and moderation ---
  setRole = (id: string, userId: string, body: ChangeRoleBody) => this.request<SeqResponse>('PATCH', `${c(id)}/members/${encodeURIComponent(userId)}`, { body });
  mute = (id: string, userId: string, body: MuteBody = {}) => this.request<SeqResponse>('POST', `${c(id)}/members/${encodeURIComponent(userId)}/mute`, { body });
  unmute = (id: string, userId: string) => this.request<SeqResponse>('DELETE', `${c(id)}/members/${encodeURIComponent(userId)}/mute`);
  bans = (id: string) => this.request<BansResponse>('GET', `${c(id)}/bans`);
  ban = (id: string, body: BanBody) => this.request<SeqResponse>('POST', `${c(id)}/bans`, { body });
  unban = (id: string, userId: string) => this.request<Record<string, never>>('DELETE', `${c(id)}/bans/${encodeURIComponent(userId)}`);
  transfer = (id: string, userId: string) => this.request<SeqResponse>('POST', `${c(id)}/transfer`, { body: { userId } });
  reports = (id: string, query: { status?: 'open' | 'resolved'; cursor?: string; limit?: number } = {}) => this.request<ReportsResponse>('GET', `${c(id)}/reports`, { query });
  resolveReport = (id: string, reportId: string, body: ResolveReportBody) => this.request<ReportResponse>('POST', `${c(id)}/reports/${encodeURIComponent(reportId)}/resolve`, { body });
  audit = (id: string, query: { cursor?: string; limit?: number } = {}) => this.request<AuditResponse>('GET', `${c(id)}/audit`, { query });
  report = (body: CreateReportBody) => this.request<ReportResponse>('POST', '/v1/reports', { body });

  // --- invites ---
  createInvite = (id: string, body: CreateInviteBody = {}) => this.request<InviteResponse>('POST', `${c(id)}/invites`, { body });
  invites = (id: string) => this.request<InvitesResponse>('GET', `${c(id)}/invites`);
  revokeInvite = (id: string, code: string) => this.request<Record<string, never>>('DELETE', `${c(id)}/invites/${encodeURIComponent(code)}`);
  invite = (code: string) => this.request<InvitePreviewResponse>('GET', `/v1/invites/${encodeURIComponent(code)}`);
  joinByInvite = (code: string) => this.request<JoinResponse>('POST', `/v1/invites/${encodeURIComponent(code)}/join`);
  joinRequests = (id: string) => this.request<JoinRequestsResponse>('GET', `${c(id)}/join-requests`);
  approveJoin = (id: string, userId: string) => this.request<Record<string, never>>('POST', `${c(id)}/join-requests/${encodeURIComponent(userId)}/approve`);
  declineJoin = (id: string, userId: string) => this.request<Record<string, never>>('POST', `${c(id)}/join-requests/${encodeURIComponent(userId)}/decline`);

  // --- privacy ---
  blocks = () => this.request<BlocksResponse>('GET', '/v1/me/blocks');
  block = (userId: string) => this.request<Record<string, never>>('PUT', `/v1/me/blocks/${encodeURIComponent(userId)}`);
  unblock = (userId: string) => this.request<Record<string, never>>('DELETE', `/v1/me/blocks/${encodeURIComponent(userId)}`);
  settings = () => this.request<SettingsResponse>('GET', '/v1/me/settings');
  updateSettings = (body: UpdateSettingsBody) => this.request<SettingsResponse>('PATCH', '/v1/me/settings', { body });

  // --- messages ---
  sendMessage = (id: string, body: SendMessageBody) => this.request<MessageResponse>('POST', `/v1/conversations/${encodeURIComponent(id)}/messages`, { body });
  messages = (id: string, query: { before?: number; after?: number; limit?: number } = {}) => this.request<MessagesResponse>('GET', `/v1/conversations/${encodeURIComponent(id)}/messages`, { query });
  editMessage = (id: string, messageId: string, text: string) => this.request<MessageResponse>('PATCH', `/v1/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(messageId)}`, { body: { text } });
  forward = (id: string, body: ForwardBody) => this.request<MessageResponse>('POST', `${c(id)}/forward`, { body });
  react = (id: string, messageId: string, emoji: string) => this.request<Record<string, never>>('PUT', `${c(id)}/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}`);
  unreact = (id: string, messageId: string, emoji: string) => this.request<Record<string, never>>('DELETE', `${c(id)}/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}`);
  reactions = (id: string, messageId: string) => this.request<ReactionsResponse>('GET', `${c(id)}/messages/${encodeURIComponent(messageId)}/reactions`);
  pins = (id: string) => this.request<PinsResponse>('GET', `${c(id)}/pins`);
  pin = (id: string, messageId: string) => this.request<Record<string, never>>('PUT', `${c(id)}/messages/${encodeURIComponent(messageId)}/pin`);
  unpin = (id: string, messageId: string) => this.request<Record<string, never>>('DELETE', `${c(id)}/messages/${encodeURIComponent(messageId)}/pin`);
  deleteMessage = (id: string, messageId: string) => this.request<MessageResponse>('DELETE', `/v1/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(messageId)}`);

  // --- logs ---
  events = (id: string, query: { after?: number; limit?: number } = {}) => this.request<EventsResponse>('GET', `/v1/conversations/${encodeURIComponent(id)}/events`, { query });
  userEvents = (query: { after?: number; limit?: number } = {}) => this.request<UserEventsResponse>('GET', '/v1/me/events', { query });
  heads = () => this.request<HeadsResponse>('GET', '/v1/me/heads');

  // --- receipts, presence, devices ---
  delivered = (body: DeliveredBody) => this.request<Record<string, never>>('POST', '/v1/me/delivered', { body });
  messageReceipts = (id: string, messageId: string) => this.request<MessageReceiptsResponse>('GET', `/v1/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(messageId)}/receipts`);
  presence = (userId: string) => this.request<PresenceResponse>('GET', `/v1/presence/${encodeURIComponent(userId)}`);
  presencePrivacy = () => this.request<PresenceSettings>('GET', '/v1/me/presence-privacy');
  setPresencePrivacy = (privacy: PresencePrivacy) => this.request<PresenceSettings>('PUT', '/v1/me/presence-privacy', { body: { privacy } });
  devices = () => this.request<DevicesResponse>('GET', '/v1/me/devices');
  revokeDevice = (sessionId: string) => this.request<Record<string, never>>('DELETE', `/v1/me/devices/${encodeURIComponent(sessionId)}`);
  setPushToken = (body: PushTokenBody) => this.request<Record<string, never>>('PUT', '/v1/me/devices/current/push-token', { body });
  clearPushToken = () => this.request<Record<string, never>>('DELETE', '/v1/me/devices/current/push-token');
}
