import type {
  ChangePasswordBody,
  AddMembersBody, AuditQuery, BanBody, BodyOf, CallKind, ChangeRoleBody, ConversationListQuery, CreateConversationBody, CreateInviteBody,
  CreateReportBody, DeliveredBody, Endpoint, Endpoints, ErrorResponse, EventsQuery, ForwardBody, HeadsQuery, LoginBody, MembersQuery,
  ConversationPushSettingsBody, MessagesQuery, MuteBody, OperationId, ParamsOf, PresencePrivacy, PushSettingsBody, PushTokenBody, WebPushSubscriptionBody, QueryOf, RegisterBody, ReportsQuery, ResolveReportBody,
  DirectoryQuery, ResponseOf, SearchMessagesQuery, SendMessageBody, UpdatePrefsBody, UpdateConversationBody, UpdateMeBody, UpdateSettingsBody,
} from '@parley/protocol';
import { endpointPath, type Route, Routes } from '@parley/protocol/client';
import { ParleyError } from './errors.ts';
import { uploadFile, type UploadOptions, type UploadSource } from './upload.ts';

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
   * unless the operation is public. Takes the schema-free route (`Routes.x` from
   * `@parley/protocol/client`, which keeps TypeBox out of browser bundles) or the table's
   * own entry (`Endpoints.x`); either way the types come from the table.
   */
  async call<K extends OperationId>(endpoint: Route<K>, input: CallInput<Endpoints[K]>): Promise<ResponseOf<Endpoints[K]>> {
    const auth = endpoint.access !== 'public';
    const path = endpointPath(endpoint, input.params as Record<string, unknown> | undefined);
    let token = auth ? this.tokens.accessToken() : null;
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(endpoint.method, path, input, token);
      if (response.ok) return (await response.json()) as ResponseOf<Endpoints[K]>;
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
  register = (body: RegisterBody) => this.call(Routes.register, { body });
  login = (body: LoginBody) => this.call(Routes.login, { body });
  refresh = (refreshToken: string) => this.call(Routes.refresh, { body: { refreshToken } });
  logout = () => this.call(Routes.logout, {});

  // --- users ---
  me = () => this.call(Routes.getMe, {});
  updateMe = (body: UpdateMeBody) => this.call(Routes.updateMe, { body });
  user = (id: string) => this.call(Routes.getUser, { params: { id } });
  userByHandle = (handle: string) => this.call(Routes.getUserByHandle, { query: { handle } });

  // --- conversations ---
  createConversation = (body: CreateConversationBody) => this.call(Routes.createConversation, { body });
  conversations = (query: ConversationListQuery = {}) => this.call(Routes.listConversations, { query });
  conversation = (id: string) => this.call(Routes.getConversation, { params: { id } });
  updateConversation = (id: string, body: UpdateConversationBody) => this.call(Routes.updateConversation, { params: { id }, body });
  conversationByHandle = (handle: string) => this.call(Routes.getConversationByHandle, { params: { handle } });
  join = (id: string) => this.call(Routes.joinConversation, { params: { id } });
  members = (id: string, query: MembersQuery = {}) => this.call(Routes.listMembers, { params: { id }, query });
  addMembers = (id: string, body: AddMembersBody) => this.call(Routes.addMembers, { params: { id }, body });
  removeMember = (id: string, userId: string) => this.call(Routes.removeMember, { params: { id, userId } });
  leave = (id: string) => this.call(Routes.leaveConversation, { params: { id } });
  markRead = (id: string, seq: number) => this.call(Routes.markRead, { params: { id }, body: { seq } });

  // --- members and moderation ---
  setRole = (id: string, userId: string, body: ChangeRoleBody) => this.call(Routes.changeMemberRole, { params: { id, userId }, body });
  mute = (id: string, userId: string, body: MuteBody = {}) => this.call(Routes.muteMember, { params: { id, userId }, body });
  unmute = (id: string, userId: string) => this.call(Routes.unmuteMember, { params: { id, userId } });
  bans = (id: string) => this.call(Routes.listBans, { params: { id } });
  ban = (id: string, body: BanBody) => this.call(Routes.ban, { params: { id }, body });
  unban = (id: string, userId: string) => this.call(Routes.unban, { params: { id, userId } });
  transfer = (id: string, userId: string) => this.call(Routes.transferOwnership, { params: { id }, body: { userId } });
  reports = (id: string, query: ReportsQuery = {}) => this.call(Routes.listReports, { params: { id }, query });
  resolveReport = (id: string, reportId: string, body: ResolveReportBody) => this.call(Routes.resolveReport, { params: { id, reportId }, body });
  audit = (id: string, query: AuditQuery = {}) => this.call(Routes.listAudit, { params: { id }, query });
  report = (body: CreateReportBody) => this.call(Routes.createReport, { body });

  // --- invites ---
  createInvite = (id: string, body: CreateInviteBody = {}) => this.call(Routes.createInvite, { params: { id }, body });
  invites = (id: string) => this.call(Routes.listInvites, { params: { id } });
  revokeInvite = (id: string, code: string) => this.call(Routes.revokeInvite, { params: { id, code } });
  invite = (code: string) => this.call(Routes.getInvite, { params: { code } });
  joinByInvite = (code: string) => this.call(Routes.joinByInvite, { params: { code } });
  joinRequests = (id: string) => this.call(Routes.listJoinRequests, { params: { id } });
  approveJoin = (id: string, userId: string) => this.call(Routes.approveJoinRequest, { params: { id, userId } });
  declineJoin = (id: string, userId: string) => this.call(Routes.declineJoinRequest, { params: { id, userId } });

  // --- calls ---
  startCall = (conversationId: string, kind: CallKind) => this.call(Routes.startCall, { params: { id: conversationId }, body: { kind } });
  myCalls = () => this.call(Routes.listMyCalls, {});
  getCall = (callId: string) => this.call(Routes.getCall, { params: { callId } });
  acceptCall = (callId: string) => this.call(Routes.acceptCall, { params: { callId } });
  declineCall = (callId: string) => this.call(Routes.declineCall, { params: { callId } });
  joinCall = (callId: string) => this.call(Routes.joinCall, { params: { callId } });
  leaveCall = (callId: string) => this.call(Routes.leaveCall, { params: { callId } });
  endCall = (callId: string) => this.call(Routes.endCall, { params: { callId } });
  callMedia = (callId: string) => this.call(Routes.getCallMedia, { params: { callId } });

  // --- privacy ---
  blocks = () => this.call(Routes.listBlocks, {});
  block = (userId: string) => this.call(Routes.blockUser, { params: { id: userId } });
  unblock = (userId: string) => this.call(Routes.unblockUser, { params: { id: userId } });
  settings = () => this.call(Routes.getSettings, {});
  updateSettings = (body: UpdateSettingsBody) => this.call(Routes.updateSettings, { body });

  // --- messages ---
  sendMessage = (id: string, body: SendMessageBody) => this.call(Routes.sendMessage, { params: { id }, body });
  messages = (id: string, query: MessagesQuery = {}) => this.call(Routes.listMessages, { params: { id }, query });
  editMessage = (id: string, messageId: string, text: string) => this.call(Routes.editMessage, { params: { id, messageId }, body: { text } });
  forward = (id: string, body: ForwardBody) => this.call(Routes.forwardMessage, { params: { id }, body });
  react = (id: string, messageId: string, emoji: string) => this.call(Routes.addReaction, { params: { id, messageId, emoji } });
  unreact = (id: string, messageId: string, emoji: string) => this.call(Routes.removeReaction, { params: { id, messageId, emoji } });
  reactions = (id: string, messageId: string) => this.call(Routes.listReactions, { params: { id, messageId } });
  pins = (id: string) => this.call(Routes.listPins, { params: { id } });
  pin = (id: string, messageId: string) => this.call(Routes.pinMessage, { params: { id, messageId } });
  unpin = (id: string, messageId: string) => this.call(Routes.unpinMessage, { params: { id, messageId } });
  deleteMessage = (id: string, messageId: string) => this.call(Routes.deleteMessage, { params: { id, messageId } });

  // --- files ---
  /** Streams a file to `POST /v1/uploads` (see `uploadFile`). */
  upload = (source: UploadSource, options: UploadOptions = {}) =>
    uploadFile({ url: `${this.baseUrl}${Routes.uploadFile.path}`, token: () => this.tokens.accessToken(), renew: () => this.tokens.renew(), fetch: this.fetchImpl }, source, options);
  file = (fileId: string) => this.call(Routes.getFile, { params: { fileId } });
  deleteFile = (fileId: string) => this.call(Routes.deleteFile, { params: { fileId } });
  /** A short-lived link; `url` may be relative to the server (the local store) or absolute (S3). */
  fileUrl = (fileId: string, variant: 'original' | 'thumbnail' = 'original') => this.call(Routes.getFileUrl, { params: { fileId }, query: { variant } });
  /** Absolute form of a link from `fileUrl`. */
  absoluteUrl = (url: string) => new URL(url, `${this.baseUrl}/`).toString();

  // --- search, and your own view of your conversations ---
  searchMessages = (query: SearchMessagesQuery) => this.call(Routes.searchMessages, { query });
  searchUsers = (query: DirectoryQuery) => this.call(Routes.searchUsers, { query });
  searchConversations = (query: DirectoryQuery) => this.call(Routes.searchConversations, { query });
  updatePrefs = (id: string, body: UpdatePrefsBody) => this.call(Routes.updateConversationPrefs, { params: { id }, body });
  clearHistory = (id: string) => this.call(Routes.clearConversationHistory, { params: { id }, body: {} });
  retention = (id: string) => this.call(Routes.getRetention, { params: { id } });
  setRetention = (id: string, days: number | null) => this.call(Routes.setRetention, { params: { id }, body: { days } });
  hideMessages = (id: string, messageIds: string[]) => this.call(Routes.hideMessages, { params: { id }, body: { messageIds } });

  // --- data export ---
  requestExport = () => this.call(Routes.requestExport, { body: {} });
  listExports = () => this.call(Routes.listExports, {});
  getExport = (exportId: string) => this.call(Routes.getExport, { params: { exportId } });

  // --- logs ---
  events = (id: string, query: EventsQuery = {}) => this.call(Routes.listEvents, { params: { id }, query });
  userEvents = (query: EventsQuery = {}) => this.call(Routes.listUserEvents, { query });
  heads = (query: HeadsQuery = {}) => this.call(Routes.getHeads, { query });

  // --- receipts, presence, devices ---
  delivered = (body: DeliveredBody) => this.call(Routes.markDelivered, { body });
  messageReceipts = (id: string, messageId: string) => this.call(Routes.getMessageReceipts, { params: { id, messageId } });
  presence = (userId: string) => this.call(Routes.getPresence, { params: { id: userId } });
  presencePrivacy = () => this.call(Routes.getPresencePrivacy, {});
  setPresencePrivacy = (privacy: PresencePrivacy) => this.call(Routes.setPresencePrivacy, { body: { privacy } });
  devices = () => this.call(Routes.listDevices, {});
  revokeDevice = (sessionId: string) => this.call(Routes.revokeDevice, { params: { id: sessionId } });
  revokeOtherDevices = () => this.call(Routes.revokeOtherDevices, {});
  changePassword = (body: ChangePasswordBody) => this.call(Routes.changePassword, { body });
  setPushToken = (body: PushTokenBody) => this.call(Routes.setPushToken, { body });
  clearPushToken = () => this.call(Routes.clearPushToken, {});

  // --- push notifications ---
  vapidKey = () => this.call(Routes.getVapidKey, {});
  setWebPushSubscription = (body: WebPushSubscriptionBody) => this.call(Routes.setWebPushSubscription, { body });
  pushSettings = () => this.call(Routes.getPushSettings, {});
  setPushSettings = (body: PushSettingsBody) => this.call(Routes.setPushSettings, { body });
  conversationPushSettings = (id: string) => this.call(Routes.getConversationPushSettings, { params: { id } });
  setConversationPushSettings = (id: string, body: ConversationPushSettingsBody) => this.call(Routes.setConversationPushSettings, { params: { id }, body });
}
