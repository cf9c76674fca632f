import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type ConversationKind, type Right, RightList, type Role, type Visibility } from '@parley/protocol';
import { effectiveRights, MEMBER_DEFAULTS, MEMBER_GRANTABLE, RANK, ROLES_OF_KIND, STAFF_DEFAULTS } from '../src/modules/policy/index.ts';
import { call, ok } from './support/api.ts';
import { backends } from './support/backends.ts';
import { ADMIN_KEY, createUser, expectOk, http, startApp, type HttpResult, type TestApp, type TestUser } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * The permission matrix, generated from the rights table (modules/policy/rights.ts):
 * every right × every role × every conversation kind, over HTTP and over the socket.
 *
 * Dimensions
 * - Conversations ("fixtures"): direct; private group; public group; public channel;
 *   private channel — plus variants that change the table's inputs: a read-only group
 *   (`memberRights: []`), a group without links, a group whose members hold every right
 *   a group may give them (MEMBER_GRANTABLE), a group whose admin holds a custom set of
 *   only `pin_messages` (and a moderator with a custom set), and a public channel with
 *   custom staff sets (admin: post + manage_roles; moderator: post + send_links) and
 *   subscribers holding send_messages / send_links / pin_messages.
 * - Actors per fixture: every role of ROLES_OF_KIND[kind] (direct: member; groups:
 *   owner/admin/moderator/member; channels: owner/admin/moderator/subscriber), the lowest
 *   role muted (not in direct conversations: nobody there can mute, and the platform has
 *   no mute), and a non-member, who must get `not_found` for everything, never
 *   `forbidden` — public conversations included (a non-member sees them only as a
 *   preview by handle; reading or acting needs joining first). The variants only run the
 *   actors whose rights they change.
 * - Probes: one concrete action per right, exercising exactly that right:
 *     send_messages   send plain text (groups, direct)
 *     post            send plain text in a channel (sending in a channel is `post`, not
 *                     `send_messages`: the send probe runs as `post` there)
 *     send_links      send text with a link (needs the send right of the kind, plus send_links)
 *     add_members     add a fresh user
 *     remove_members  remove a fresh member of the kind's lowest role
 *     ban_members     ban a fresh member of the lowest role
 *     mute_members    mute a fresh member of the lowest role
 *     delete_messages delete a message whose sender now holds the lowest role
 *                     (channels: posted while admin, then demoted to subscriber)
 *     pin_messages    pin a message
 *     edit_info       change the title
 *     manage_invites  create an invite link
 *     manage_roles    promote a fresh lowest-role member to moderator
 *     view_audit_log  read the conversation's audit log
 *   and three more actions: `edit_info (settings)` flips settings.joinApproval (settings
 *   need edit_info AND at least admin), `forward` forwards a message of the same
 *   conversation (the send right of the kind), `react` (no right: any member may react,
 *   muted members and subscribers included). 15 probes apply to each kind.
 *   In a direct conversation the "target" is the other member (there is nobody else).
 *   send_media and start_calls have no action yet (attachments and calls are later
 *   issues): they are covered at the policy level only — every actor's rights as the
 *   server reports them (GET /v1/conversations/:id) and as effectiveRights() computes
 *   them must equal the oracle's, for all fifteen rights.
 * - Transports: every probe runs once over HTTP and once over the socket (frames send,
 *   forward, react, add_members, remove_member, ban, mute, delete, pin,
 *   update_conversation, create_invite, set_role, audit); both must give the same error
 *   code and message.
 *
 * Size: the five kinds with all their actors are 26 actors × 15 probes × 2 transports =
 * 780 probes; the variants add 11 actors (330 probes). Two rules tests follow the matrix:
 * nobody acts on an equal or higher role or on themselves (owner/admin/moderator against
 * each other: ban, mute, set_role, remove, delete a message — 48 probes, all refused), and
 * roles are given only below your own with rights you hold (12 probes).
 *
 * The oracle (`expectedRights`, `expected`) is written from the issue text and the
 * table's constants, not from policy.ts: owner holds every right; admin/moderator hold
 * their custom set or STAFF_DEFAULTS; direct members MEMBER_DEFAULTS.direct; members and
 * subscribers the conversation's memberRights or MEMBER_DEFAULTS[kind]; a mute takes away
 * send_messages, send_media, send_links and post. An action is allowed iff the right is
 * held AND the rank rules hold (acting on another member, or on their message, needs a
 * strictly higher role; a role given must be below your own, and you must hold every right
 * it carries — the custom set given with it, or the role's defaults) AND it is not a direct
 * conversation for member management, roles, invites, info and the audit log.
 *
 * Outcomes: allowed → success and the effect is visible (the event in the
 * conversation's log, the invite in the audit log, the entries returned); refused → 403
 * `{"error":{"code":"forbidden",…}}` (socket: an error frame with code forbidden), or 404
 * not_found for non-members, and nothing changed: the conversation's lastSeq, title,
 * member count, pins and newest audit entry, plus the target's membership / role / mute,
 * the ban list, and the message's text.
 *
 * Isolation: fixtures are built once through the admin API; probes that only add things
 * (send, add, invite, title, audit) share them; destructive probes take a fresh target
 * or message from pools made up front. Fixtures run concurrently; probes within one
 * fixture run one after another, so "lastSeq unchanged" means something.
 */

type Outcome = 'ok' | 'forbidden' | 'not_found';
type Transport = 'http' | 'socket';

interface FixtureSpec {
  label: string;
  kind: ConversationKind;
  visibility: Visibility;
  /** The conversation's rights for members and subscribers (undefined: the kind's defaults). */
  memberRights?: Right[];
  /** Custom rights sets for the staff roles (given by the platform). */
  custom?: Partial<Record<'admin' | 'moderator', Right[]>>;
  /** Only these actors (default: all). */
  only?: string[];
}

interface Actor {
  label: string;
  role: Role | null;
  muted: boolean;
}

const SPECS: FixtureSpec[] = [
  { label: 'direct', kind: 'direct', visibility: 'private' },
  { label: 'private group', kind: 'group', visibility: 'private' },
  { label: 'public group', kind: 'group', visibility: 'public' },
  { label: 'public channel', kind: 'channel', visibility: 'public' },
  { label: 'private channel', kind: 'channel', visibility: 'private' },
  { label: 'read-only group (memberRights [])', kind: 'group', visibility: 'private', memberRights: [], only: ['member', 'muted member', 'moderator'] },
  { label: 'group without links', kind: 'group', visibility: 'private', memberRights: ['send_messages', 'send_media', 'add_members', 'start_calls'], only: ['member'] },
  { label: 'group giving members every grantable right', kind: 'group', visibility: 'private', memberRights: [...MEMBER_GRANTABLE], only: ['member', 'muted member'] },
  { label: 'group with custom staff (admin: pin_messages only)', kind: 'group', visibility: 'private', custom: { admin: ['pin_messages'], moderator: ['delete_messages', 'view_audit_log', 'manage_roles'] }, only: ['admin', 'moderator'] },
  {
    label: 'channel with custom staff and subscriber rights', kind: 'channel', visibility: 'public',
    custom: { admin: ['post', 'manage_roles'], moderator: ['post', 'send_links'] },
    memberRights: ['send_messages', 'send_links', 'pin_messages'],
    only: ['admin', 'moderator', 'subscriber'],
  },
];

/** Targets beyond the matrix's, for the rules tests that follow it. */
const SPARE_TARGETS = 8;

const SENDING: readonly Right[] = ['send_messages', 'send_media', 'send_links', 'post'];
const lowestRole = (kind: ConversationKind): Role => ROLES_OF_KIND[kind].at(-1)!;

function actorsOf(spec: FixtureSpec): Actor[] {
  const lowest = lowestRole(spec.kind);
  const actors: Actor[] = ROLES_OF_KIND[spec.kind].map((role) => ({ label: role, role, muted: false }));
  if (spec.kind !== 'direct') actors.push({ label: `muted ${lowest}`, role: lowest, muted: true });
  actors.push({ label: 'non-member', role: null, muted: false });
  return spec.only ? actors.filter((actor) => spec.only!.includes(actor.label)) : actors;
}

// --- the oracle ----------------------------------------------------------------------------

/** What an actor may do there, from the rules and the table's constants. */
function expectedRights(spec: FixtureSpec, actor: Actor): Set<Right> {
  if (actor.role === null) return new Set();
  let base: readonly Right[];
  if (actor.role === 'owner') base = RightList;
  else if (actor.role === 'admin' || actor.role === 'moderator') base = spec.custom?.[actor.role] ?? STAFF_DEFAULTS[actor.role];
  else if (spec.kind === 'direct') base = MEMBER_DEFAULTS.direct;
  else base = spec.memberRights ?? MEMBER_DEFAULTS[spec.kind];
  const rights = new Set(base);
  if (actor.muted) for (const right of SENDING) rights.delete(right);
  return rights;
}

/** The probes' targets: a member of the lowest role (in a direct conversation, the other member). */
const targetRole = (spec: FixtureSpec): Role => lowestRole(spec.kind);

function expected(right: Right, spec: FixtureSpec, actor: Actor): Outcome {
  if (actor.role === null) return 'not_found';
  const held = expectedRights(spec, actor);
  const has = (r: Right) => held.has(r);
  const above = (role: Role) => RANK[actor.role!] > RANK[role];
  const direct = spec.kind === 'direct';
  const yes = (condition: boolean): Outcome => (condition ? 'ok' : 'forbidden');
  switch (right) {
    case 'send_messages':
      return yes(has('send_messages'));
    case 'post':
      return yes(has('post'));
    case 'send_links':
      return yes(has(spec.kind === 'channel' ? 'post' : 'send_messages') && has('send_links'));
    case 'add_members':
    case 'edit_info':
    case 'manage_invites':
    case 'view_audit_log':
      return yes(!direct && has(right));
    case 'remove_members':
    case 'ban_members':
    case 'mute_members':
      return yes(!direct && has(right) && above(targetRole(spec)));
    case 'delete_messages':
      return yes(has(right) && above(targetRole(spec)));
    case 'pin_messages':
      return yes(has(right));
    case 'manage_roles':
      // Making someone a moderator hands them the moderator's rights: you must hold them all.
      return yes(!direct && has(right) && above(targetRole(spec)) && above('moderator') && STAFF_DEFAULTS.moderator.every(has));
    case 'send_media':
    case 'start_calls':
      throw new Error(`${right} has no action to probe`);
  }
}

// --- probes --------------------------------------------------------------------------------

interface Fixture {
  spec: FixtureSpec;
  id: string;
  /** A member who reads the log, pins and bans as evidence (the owner; the other member in direct). */
  observer: TestUser;
  /** Fresh members of the lowest role, one per destructive probe (direct: the other member, every time). */
  targets: string[];
  /** Fresh users who are not members. */
  strangers: string[];
  /** Messages whose sender holds the lowest role. */
  messages: Array<{ id: string; seq: number }>;
  /** A message every member may forward (never deleted). */
  source: string;
  direct: boolean;
  peerId: string | null;
}

interface Context {
  joinApproval?: boolean;
  target?: string;
  message?: { id: string; seq: number };
  text?: string;
  title?: string;
  clientMsgId?: string;
}

interface Answer {
  ok: boolean;
  status?: number;
  data?: any;
  error?: { code: string; message: string; details?: unknown };
}

interface State {
  lastSeq: number;
  title: string | null;
  settings: unknown;
  memberCount: number;
  pinned: string[];
  audit: string | null;
}

interface Probe {
  /** The right it exercises (`react`: none — every member may react). */
  right: Right | null;
  /** Defaults to the right's name. */
  name?: string;
  kinds: ConversationKind[];
  /** Overrides the oracle's rule for the right (a second action under the same right). */
  expect?(spec: FixtureSpec, actor: Actor): Outcome;
  prepare(env: Env, fx: Fixture, n: number): Context | Promise<Context>;
  http(fx: Fixture, ctx: Context): [string, string, unknown?];
  frame(fx: Fixture, ctx: Context): [string, Record<string, unknown>];
  /** Allowed: the effect is visible. Returns a complaint, or null. */
  effect(env: Env, fx: Fixture, ctx: Context, answer: Answer, events: any[], before: State, actorId: string): Promise<string | null>;
  /** Refused: what the probe would have changed is unchanged (beyond the shared state). Returns a complaint, or null. */
  unchanged?(env: Env, fx: Fixture, ctx: Context): Promise<string | null>;
}

interface Env {
  t: TestApp;
  admin(method: string, path: string, body?: unknown): Promise<HttpResult>;
}

const ALL_KINDS: ConversationKind[] = ['direct', 'group', 'channel'];

const take = <T>(pool: T[], what: string): T => {
  const item = pool.pop();
  if (item === undefined) throw new Error(`pool of ${what} ran dry`);
  return item;
};

const targetOf = (fx: Fixture) => (fx.direct ? fx.peerId! : take(fx.targets, 'targets'));

function sendProbe(right: Right, kinds: ConversationKind[], text: (n: number) => string): Probe {
  return {
    right,
    kinds,
    prepare: (_env, _fx, n) => ({ text: text(n), clientMsgId: `pm-${right}-${n}` }),
    http: (fx, ctx) => ['POST', `/v1/conversations/${fx.id}/messages`, { clientMsgId: ctx.clientMsgId, text: ctx.text }],
    frame: (fx, ctx) => ['send', { conversationId: fx.id, clientMsgId: ctx.clientMsgId!, text: ctx.text! }],
    async effect(_env, _fx, ctx, _answer, events, _before, actorId) {
      const created = events.find((e) => e.type === 'message.created' && e.data.message.text === ctx.text);
      if (!created) return 'no message.created event';
      return created.data.message.senderId === actorId ? null : 'message.created by someone else';
    },
  };
}

async function memberOf(env: Env, fx: Fixture, userId: string): Promise<{ role: Role; mutedUntil: string | null } | null> {
  const { members } = expectOk(await env.admin('GET', `/v1/admin/conversations/${fx.id}/members?limit=500`));
  return members.find((m: any) => m.userId === userId) ?? null;
}

function targetUnchanged(env: Env, fx: Fixture, ctx: Context): Promise<string | null> {
  return memberOf(env, fx, ctx.target!).then((member) => {
    if (!member) return 'the target is no longer a member';
    const role = fx.direct ? 'member' : targetRole(fx.spec);
    if (member.role !== role) return `the target's role became ${member.role}`;
    if (member.mutedUntil !== null) return 'the target is muted';
    return null;
  });
}

const PROBES: Probe[] = [
  sendProbe('send_messages', ['direct', 'group'], (n) => `plain text ${n}`),
  sendProbe('post', ['channel'], (n) => `a post ${n}`),
  sendProbe('send_links', ALL_KINDS, (n) => `read https://example.com/page-${n}`),
  {
    right: 'add_members',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ target: take(fx.strangers, 'strangers') }),
    http: (fx, ctx) => ['POST', `/v1/conversations/${fx.id}/members`, { userIds: [ctx.target] }],
    frame: (fx, ctx) => ['add_members', { conversationId: fx.id, userIds: [ctx.target] }],
    // A channel's subscribers are counted in its log, not named (governance-kinds.test.ts).
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'members.added' && (e.data.userIds.includes(ctx.target) || e.data.count === 1))) return 'no members.added event';
      return (await memberOf(env, fx, ctx.target!)) ? null : 'not a member';
    },
    unchanged: async (env, fx, ctx) => ((await memberOf(env, fx, ctx.target!)) ? 'the user became a member' : null),
  },
  {
    right: 'remove_members',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ target: targetOf(fx) }),
    http: (fx, ctx) => ['DELETE', `/v1/conversations/${fx.id}/members/${ctx.target}`],
    frame: (fx, ctx) => ['remove_member', { conversationId: fx.id, userId: ctx.target! }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'member.removed' && (e.data.userId ?? ctx.target) === ctx.target && e.data.reason === 'removed')) return 'no member.removed event';
      return (await memberOf(env, fx, ctx.target!)) ? 'still a member' : null;
    },
    unchanged: targetUnchanged,
  },
  {
    right: 'ban_members',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ target: targetOf(fx) }),
    http: (fx, ctx) => ['POST', `/v1/conversations/${fx.id}/bans`, { userId: ctx.target }],
    frame: (fx, ctx) => ['ban', { conversationId: fx.id, userId: ctx.target! }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'member.removed' && (e.data.userId ?? ctx.target) === ctx.target && e.data.reason === 'banned')) return 'no member.removed (banned) event';
      const { bans } = await ok(env.t, fx.observer, 'GET', `/v1/conversations/${fx.id}/bans`);
      return bans.some((b: any) => b.userId === ctx.target) ? null : 'not in the ban list';
    },
    async unchanged(env, fx, ctx) {
      if (!fx.direct) {
        const { bans } = await ok(env.t, fx.observer, 'GET', `/v1/conversations/${fx.id}/bans`);
        if (bans.some((b: any) => b.userId === ctx.target)) return 'the target is banned';
      }
      return targetUnchanged(env, fx, ctx);
    },
  },
  {
    right: 'mute_members',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ target: targetOf(fx) }),
    http: (fx, ctx) => ['POST', `/v1/conversations/${fx.id}/members/${ctx.target}/mute`, {}],
    frame: (fx, ctx) => ['mute', { conversationId: fx.id, userId: ctx.target! }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'member.muted' && e.data.userId === ctx.target && e.data.until !== null)) return 'no member.muted event';
      return (await memberOf(env, fx, ctx.target!))?.mutedUntil ? null : 'the target is not muted';
    },
    unchanged: targetUnchanged,
  },
  {
    right: 'delete_messages',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ message: take(fx.messages, 'messages') }),
    http: (fx, ctx) => ['DELETE', `/v1/conversations/${fx.id}/messages/${ctx.message!.id}`],
    frame: (fx, ctx) => ['delete', { conversationId: fx.id, messageId: ctx.message!.id }],
    async effect(_env, _fx, ctx, _answer, events) {
      return events.some((e) => e.type === 'message.deleted' && e.data.message.id === ctx.message!.id && e.data.message.text === null) ? null : 'no message.deleted event';
    },
    async unchanged(env, fx, ctx) {
      const { messages } = await ok(env.t, fx.observer, 'GET', `/v1/conversations/${fx.id}/messages?after=${ctx.message!.seq - 1}&limit=1`);
      return messages[0]?.id === ctx.message!.id && messages[0].text !== null ? null : 'the message is gone';
    },
  },
  {
    right: 'pin_messages',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ message: take(fx.messages, 'messages') }),
    http: (fx, ctx) => ['PUT', `/v1/conversations/${fx.id}/messages/${ctx.message!.id}/pin`],
    frame: (fx, ctx) => ['pin', { conversationId: fx.id, messageId: ctx.message!.id }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'message.pinned' && e.data.messageId === ctx.message!.id)) return 'no message.pinned event';
      return (await observe(env, fx)).pinned.includes(ctx.message!.id) ? null : 'not among the pins';
    },
  },
  {
    right: 'edit_info',
    kinds: ALL_KINDS,
    prepare: (_env, _fx, n) => ({ title: `Title ${n}` }),
    http: (fx, ctx) => ['PATCH', `/v1/conversations/${fx.id}`, { title: ctx.title }],
    frame: (fx, ctx) => ['update_conversation', { conversationId: fx.id, title: ctx.title! }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'conversation.updated' && e.data.title === ctx.title)) return 'no conversation.updated event';
      return (await observe(env, fx)).title === ctx.title ? null : 'title not changed';
    },
  },
  {
    right: 'manage_invites',
    kinds: ALL_KINDS,
    prepare: () => ({}),
    http: (fx) => ['POST', `/v1/conversations/${fx.id}/invites`, {}],
    frame: (fx) => ['create_invite', { conversationId: fx.id }],
    async effect(env, fx, _ctx, answer) {
      const code = answer.data?.invite?.code;
      if (typeof code !== 'string') return 'no invite in the answer';
      const { entries } = expectOk(await env.admin('GET', `/v1/admin/audit?conversationId=${fx.id}&limit=1`));
      return entries[0]?.action === 'invite.created' && entries[0].targetId === code ? null : 'no invite.created audit entry';
    },
  },
  {
    right: 'manage_roles',
    kinds: ALL_KINDS,
    prepare: (_env, fx) => ({ target: targetOf(fx) }),
    http: (fx, ctx) => ['PATCH', `/v1/conversations/${fx.id}/members/${ctx.target}`, { role: 'moderator' }],
    frame: (fx, ctx) => ['set_role', { conversationId: fx.id, userId: ctx.target!, role: 'moderator' }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'member.role_changed' && e.data.userId === ctx.target && e.data.role === 'moderator')) return 'no member.role_changed event';
      return (await memberOf(env, fx, ctx.target!))?.role === 'moderator' ? null : 'the role did not change';
    },
    unchanged: targetUnchanged,
  },
  {
    // The second action of edit_info: settings (visibility, handle, rules) are for admins holding it.
    right: 'edit_info',
    name: 'edit_info (settings)',
    kinds: ALL_KINDS,
    expect: (spec, actor) => (actor.role === null ? 'not_found' : spec.kind !== 'direct' && expectedRights(spec, actor).has('edit_info') && RANK[actor.role] >= RANK.admin ? 'ok' : 'forbidden'),
    // joinApproval only matters to handle joins, which no probe makes: flipping it disturbs nothing.
    prepare: async (env, fx) => ({ joinApproval: !((await observe(env, fx)).settings as { joinApproval: boolean }).joinApproval }),
    http: (fx, ctx) => ['PATCH', `/v1/conversations/${fx.id}`, { settings: { joinApproval: ctx.joinApproval } }],
    frame: (fx, ctx) => ['update_conversation', { conversationId: fx.id, settings: { joinApproval: ctx.joinApproval! } }],
    async effect(env, fx, ctx, _answer, events) {
      if (!events.some((e) => e.type === 'conversation.updated' && e.data.settings?.joinApproval === ctx.joinApproval)) return 'no conversation.updated event';
      return ((await observe(env, fx)).settings as { joinApproval: boolean }).joinApproval === ctx.joinApproval ? null : 'the setting did not change';
    },
  },
  {
    // The second action of the sending right: forwarding a message of the same conversation.
    right: null,
    name: 'forward (send_messages / post)',
    kinds: ALL_KINDS,
    expect: (spec, actor) => expected(spec.kind === 'channel' ? 'post' : 'send_messages', spec, actor),
    prepare: (_env, _fx, n) => ({ clientMsgId: `pm-forward-${n}` }),
    http: (fx, ctx) => ['POST', `/v1/conversations/${fx.id}/forward`, { clientMsgId: ctx.clientMsgId, from: { conversationId: fx.id, messageId: fx.source } }],
    frame: (fx, ctx) => ['forward', { conversationId: fx.id, clientMsgId: ctx.clientMsgId!, from: { conversationId: fx.id, messageId: fx.source } }],
    async effect(_env, fx, _ctx, _answer, events, _before, actorId) {
      const created = events.find((e) => e.type === 'message.created' && e.data.message.forwardedFrom?.messageId === fx.source);
      if (!created) return 'no message.created event for the forward';
      return created.data.message.senderId === actorId ? null : 'forwarded by someone else';
    },
  },
  {
    // Not a right: every member reacts, subscribers and muted members included.
    right: null,
    name: 'react (any member)',
    kinds: ALL_KINDS,
    expect: (_spec, actor) => (actor.role === null ? 'not_found' : 'ok'),
    prepare: (_env, fx) => ({ message: take(fx.messages, 'messages') }),
    http: (fx, ctx) => ['PUT', `/v1/conversations/${fx.id}/messages/${ctx.message!.id}/reactions/${encodeURIComponent('👍')}`],
    frame: (fx, ctx) => ['react', { conversationId: fx.id, messageId: ctx.message!.id, emoji: '👍' }],
    async effect(_env, _fx, ctx, _answer, events, _before, actorId) {
      return events.some((e) => e.type === 'reaction.added' && e.data.messageId === ctx.message!.id && e.data.userId === actorId) ? null : 'no reaction.added event';
    },
  },
  {
    right: 'view_audit_log',
    kinds: ALL_KINDS,
    prepare: () => ({}),
    http: (fx) => ['GET', `/v1/conversations/${fx.id}/audit`],
    frame: (fx) => ['audit', { conversationId: fx.id }],
    async effect(_env, _fx, _ctx, answer, _events, before) {
      const entries = answer.data?.entries;
      if (!Array.isArray(entries)) return 'no entries in the answer';
      return entries[0]?.id === before.audit ? null : 'the newest entry is not the conversation\'s newest audit entry';
    },
  },
];

const PROBED = new Set(PROBES.map((probe) => probe.right));
const nameOf = (probe: Probe) => probe.name ?? probe.right!;
const expectationOf = (probe: Probe, spec: FixtureSpec, actor: Actor): Outcome => (probe.expect ? probe.expect(spec, actor) : expected(probe.right!, spec, actor));
const POLICY_ONLY = RightList.filter((right) => !PROBED.has(right));

/** The shared state a refused probe must leave alone. */
async function observe(env: Env, fx: Fixture): Promise<State> {
  const [conversation, audit] = await Promise.all([
    ok(env.t, fx.observer, 'GET', `/v1/conversations/${fx.id}`).then((body) => body.conversation),
    env.admin('GET', `/v1/admin/audit?conversationId=${fx.id}&limit=1`).then((result) => expectOk(result).entries[0]?.id ?? null),
  ]);
  return { lastSeq: conversation.lastSeq, title: conversation.title, settings: conversation.settings, memberCount: conversation.memberCount, pinned: conversation.pinnedMessageIds, audit };
}

async function overSocket(socket: TestSocket, type: string, payload: Record<string, unknown>): Promise<Answer> {
  try {
    return { ok: true, data: await socket.request(type, payload) };
  } catch (error) {
    const body = (error as { body?: Answer['error'] }).body;
    if (!body) throw error;
    return { ok: false, error: body };
  }
}

async function overHttp(env: Env, user: TestUser, [method, path, body]: [string, string, unknown?]): Promise<Answer> {
  const result = await call(env.t, user, method, path, body);
  return result.status === 200 ? { ok: true, status: 200, data: result.body } : { ok: false, status: result.status, error: result.body?.error };
}

// --- fixtures ------------------------------------------------------------------------------

interface People {
  owner: TestUser;
  admin: TestUser;
  moderator: TestUser;
  plain: TestUser;
  muted: TestUser;
  outsider: TestUser;
  peer: TestUser;
}

function userOf(people: People, actor: Actor): TestUser {
  if (actor.role === null) return people.outsider;
  if (actor.muted) return people.muted;
  if (actor.role === 'owner' || actor.role === 'admin' || actor.role === 'moderator') return people[actor.role];
  return people.plain;
}

let unique = 0;
const tag = randomBytes(4).toString('hex');

/** Users who never sign in, in one request. */
async function bareUsers(env: Env, count: number): Promise<string[]> {
  if (count === 0) return [];
  const ids = Array.from({ length: count }, () => `pm-${tag}-${++unique}`);
  const { results } = expectOk(await env.admin('POST', '/v1/admin/users/bulk', { upsert: ids.map((id) => ({ id, displayName: id })) }));
  assert.ok(results.every((r: any) => r.ok), JSON.stringify(results));
  return ids;
}

async function build(env: Env, people: People, spec: FixtureSpec): Promise<Fixture> {
  const actors = actorsOf(spec);
  const rounds = actors.length * 2;
  const direct = spec.kind === 'direct';
  const lowest = lowestRole(spec.kind);
  const strangers = await bareUsers(env, rounds);
  const targets = direct ? [] : await bareUsers(env, rounds * 4 + SPARE_TARGETS);
  let id: string;
  let observer: TestUser;
  let author: TestUser;
  if (direct) {
    id = (await ok(env.t, people.plain, 'POST', '/v1/conversations', { kind: 'direct', userId: people.peer.user.id })).conversation.id;
    observer = people.peer;
    author = people.peer;
  } else {
    const handle = spec.visibility === 'public' ? { handle: `pm${tag}${++unique}` } : {};
    const settings = spec.memberRights ? { settings: { memberRights: spec.memberRights } } : {};
    id = (await ok(env.t, people.owner, 'POST', '/v1/conversations', { kind: spec.kind, title: spec.label, memberIds: [], visibility: spec.visibility, ...handle, ...settings })).conversation.id;
    observer = people.owner;
    const add = async (userIds: string[], role: Role) => expectOk(await env.admin('POST', `/v1/admin/conversations/${id}/members`, { userIds, role }));
    await add([people.admin.user.id], 'admin');
    await add([people.moderator.user.id], 'moderator');
    await add([people.plain.user.id, people.muted.user.id], lowest);
    for (const role of ['admin', 'moderator'] as const) {
      const rights = spec.custom?.[role];
      if (rights) expectOk(await env.admin('PUT', `/v1/admin/conversations/${id}/members/${people[role].user.id}/role`, { role, rights }));
    }
    await ok(env.t, people.owner, 'POST', `/v1/conversations/${id}/members/${people.muted.user.id}/mute`, {});
    if (targets.length) await add(targets, lowest);
    // The author posts while an admin (channels: subscribers cannot post), then holds the lowest role.
    author = await createUser(env.t.url);
    await add([author.user.id], 'admin');
  }
  const messages: Array<{ id: string; seq: number }> = [];
  for (let i = 0; i < rounds * 3 + 1; i++) {
    const { message } = await ok(env.t, author, 'POST', `/v1/conversations/${id}/messages`, { clientMsgId: `pool-${i}`, text: `pooled ${i}` });
    messages.push({ id: message.id, seq: message.seq });
  }
  if (!direct) expectOk(await env.admin('PUT', `/v1/admin/conversations/${id}/members/${author.user.id}/role`, { role: lowest }));
  const source = messages.shift()!.id;
  return { spec, id, observer, targets, strangers, messages, source, direct, peerId: direct ? people.peer.user.id : null };
}

// --- suites --------------------------------------------------------------------------------

interface Tally {
  probes: number;
  ok: number;
  forbidden: number;
  notFound: number;
}

for (const backend of backends) {
  describe(`permission matrix (${backend.name})`, () => {
    let t: TestApp;
    let env: Env;
    let people: People;
    const sockets = new Map<TestUser, TestSocket>();
    const fixtures = new Map<string, Fixture>();
    const tally: Tally = { probes: 0, ok: 0, forbidden: 0, notFound: 0 };
    let started = 0;

    before(async () => {
      started = performance.now();
      // The matrix probes in parallel as one user: buckets and the page-read bound would answer before the policy.
      t = await startApp(backend, { env: { RATE_LIMIT_REPORTS_PER_USER: 'off', RATE_LIMIT_EDITS_PER_USER: 'off', RATE_LIMIT_REACTIONS_PER_USER: 'off', RATE_LIMIT_CONVERSATIONS_PER_USER: 'off', PAGE_READS_PER_USER: '1000' } });
      env = { t, admin: (method, path, body) => http(t.url, method, path, { token: ADMIN_KEY, ...(body !== undefined ? { body } : {}) }) };
      const [owner, admin, moderator, plain, muted, outsider, peer] = await Promise.all(Array.from({ length: 7 }, () => createUser(t.url)));
      people = { owner: owner!, admin: admin!, moderator: moderator!, plain: plain!, muted: muted!, outsider: outsider!, peer: peer! };
      for (const spec of SPECS) fixtures.set(spec.label, await build(env, people, spec));
      for (const user of [people.owner, people.admin, people.moderator, people.plain, people.muted, people.outsider]) sockets.set(user, await TestSocket.open(t.wsUrl, user.token));
    });

    after(async () => {
      for (const socket of sockets.values()) socket.close();
      await t?.close();
    });

    it('gives every role exactly the rights of the table, all fifteen (send_media and start_calls are checked only here)', async () => {
      const wrong: string[] = [];
      for (const spec of SPECS) {
        const fx = fixtures.get(spec.label)!;
        for (const actor of actorsOf(spec)) {
          const want = [...expectedRights(spec, actor)].sort();
          const seen = await call(t, userOf(people, actor), 'GET', `/v1/conversations/${fx.id}`);
          if (actor.role === null) {
            if (seen.status !== 404) wrong.push(`${spec.label} / ${actor.label}: ${seen.status}, not 404`);
            continue;
          }
          const got = [...expectOk(seen).conversation.rights].sort();
          if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${spec.label} / ${actor.label}: server says ${got.join(',')}; the table says ${want.join(',')}`);
          const computed = [...effectiveRights({
            kind: spec.kind, role: actor.role, custom: spec.custom?.[actor.role as 'admin'] ?? null, memberRights: spec.memberRights ?? null,
            mutedUntil: actor.muted ? Date.now() + 3_600_000 : null, now: Date.now(),
          })].sort();
          if (JSON.stringify(computed) !== JSON.stringify(want)) wrong.push(`${spec.label} / ${actor.label}: effectiveRights() says ${computed.join(',')}; the table says ${want.join(',')}`);
          for (const right of POLICY_ONLY) if (got.includes(right) !== want.includes(right)) wrong.push(`${spec.label} / ${actor.label}: ${right}`);
        }
      }
      assert.deepEqual(wrong, []);
    });

    describe('every probe over HTTP and the socket', { concurrency: true }, () => {
      for (const spec of SPECS) {
        const actors = actorsOf(spec);
        it(`${spec.label}: ${actors.map((a) => a.label).join(', ')}`, async () => {
          const fx = fixtures.get(spec.label)!;
          const wrong: string[] = [];
          let n = 0;
          for (const actor of actors) {
            const user = userOf(people, actor);
            for (const probe of PROBES) {
              if (!probe.kinds.includes(spec.kind)) continue;
              const want = expectationOf(probe, spec, actor);
              const errors: Partial<Record<Transport, Answer['error']>> = {};
              for (const transport of ['http', 'socket'] as const) {
                const where = `${spec.label} / ${actor.label} / ${nameOf(probe)} / ${transport}`;
                const ctx = await probe.prepare(env, fx, ++n);
                const before = await observe(env, fx);
                const answer = transport === 'http' ? await overHttp(env, user, probe.http(fx, ctx)) : await overSocket(sockets.get(user)!, ...probe.frame(fx, ctx));
                tally.probes++;
                const got = answer.ok ? 'ok' : (answer.error?.code ?? `status ${answer.status}`);
                if (got !== want) {
                  wrong.push(`${where}: expected ${want}, got ${got} ${JSON.stringify(answer.error ?? answer.data ?? null).slice(0, 200)}`);
                  continue;
                }
                if (want === 'ok') {
                  tally.ok++;
                  const { events } = await ok(t, fx.observer, 'GET', `/v1/conversations/${fx.id}/events?after=${before.lastSeq}&limit=500`);
                  const complaint = await probe.effect(env, fx, ctx, answer, events, before, user.user.id);
                  if (complaint) wrong.push(`${where}: allowed, but ${complaint}`);
                  continue;
                }
                if (want === 'forbidden') tally.forbidden++;
                else tally.notFound++;
                errors[transport] = answer.error;
                if (transport === 'http' && answer.status !== (want === 'forbidden' ? 403 : 404)) wrong.push(`${where}: status ${answer.status}`);
                const afterwards = await observe(env, fx);
                if (JSON.stringify(afterwards) !== JSON.stringify(before)) wrong.push(`${where}: refused, but changed ${JSON.stringify(before)} -> ${JSON.stringify(afterwards)}`);
                const complaint = await probe.unchanged?.(env, fx, ctx);
                if (complaint) wrong.push(`${where}: refused, but ${complaint}`);
              }
              if (errors.http && errors.socket && (errors.http.code !== errors.socket.code || errors.http.message !== errors.socket.message)) {
                wrong.push(`${spec.label} / ${actor.label} / ${nameOf(probe)}: HTTP said ${JSON.stringify(errors.http)}, the socket ${JSON.stringify(errors.socket)}`);
              }
            }
          }
          assert.deepEqual(wrong, []);
        });
      }
    });

    it('lets a role be given only below your own, and with rights you hold yourself', async () => {
      const customChannel = 'channel with custom staff and subscriber rights';
      const cases: Array<{ fixture: string; actor: TestUser; role: Role; rights?: Right[]; want: Outcome }> = [
        // The channel's admin holds post and manage_roles only.
        { fixture: customChannel, actor: people.admin, role: 'moderator', rights: ['post'], want: 'ok' },
        { fixture: customChannel, actor: people.admin, role: 'moderator', rights: ['post', 'ban_members'], want: 'forbidden' },
        { fixture: customChannel, actor: people.admin, role: 'admin', want: 'forbidden' },
        { fixture: customChannel, actor: people.admin, role: 'admin', rights: ['post'], want: 'forbidden' },
        { fixture: 'private group', actor: people.owner, role: 'admin', rights: ['pin_messages', 'manage_roles'], want: 'ok' },
        { fixture: 'private group', actor: people.owner, role: 'moderator', want: 'ok' },
      ];
      const wrong: string[] = [];
      for (const c of cases) {
        const fx = fixtures.get(c.fixture)!;
        for (const transport of ['http', 'socket'] as const) {
          const where = `${c.fixture}: give ${c.role} ${JSON.stringify(c.rights ?? 'defaults')} over ${transport}`;
          const target = take(fx.targets, 'targets');
          const before = await observe(env, fx);
          const body = { role: c.role, ...(c.rights ? { rights: c.rights } : {}) };
          const answer = transport === 'http'
            ? await overHttp(env, c.actor, ['PATCH', `/v1/conversations/${fx.id}/members/${target}`, body])
            : await overSocket(sockets.get(c.actor)!, 'set_role', { conversationId: fx.id, userId: target, ...body });
          const got = answer.ok ? 'ok' : answer.error?.code;
          if (got !== c.want) {
            wrong.push(`${where}: expected ${c.want}, got ${got} ${JSON.stringify(answer.error ?? null)}`);
            continue;
          }
          const member = await memberOf(env, fx, target) as { role: Role; rights: Right[] } | null;
          if (c.want === 'ok') {
            const rights = c.rights ?? STAFF_DEFAULTS[c.role as 'admin' | 'moderator'];
            if (member?.role !== c.role || JSON.stringify([...member.rights].sort()) !== JSON.stringify([...rights].sort())) wrong.push(`${where}: now ${JSON.stringify(member)}`);
          } else {
            if (member?.role !== lowestRole(fx.spec.kind)) wrong.push(`${where}: refused, but the target is now ${JSON.stringify(member)}`);
            if (JSON.stringify(await observe(env, fx)) !== JSON.stringify(before)) wrong.push(`${where}: refused, but the conversation changed`);
          }
        }
      }
      assert.deepEqual(wrong, []);
    });

    it('never lets anyone act on an equal or higher role, nor on themselves', async () => {
      const fx = fixtures.get('private group')!;
      const staff = ['owner', 'admin', 'moderator'] as const;
      const wrong: string[] = [];
      for (const actorRole of staff) {
        for (const targetRole of staff) {
          if (RANK[targetRole] < RANK[actorRole]) continue;
          const actor = people[actorRole];
          const target = people[targetRole];
          const self = actor === target;
          const message = self ? null : (await ok(t, target, 'POST', `/v1/conversations/${fx.id}/messages`, { clientMsgId: `rank-${++unique}`, text: 'mine' })).message;
          const actions: Array<[string, [string, string, unknown?], [string, Record<string, unknown>]]> = [
            ['ban', ['POST', `/v1/conversations/${fx.id}/bans`, { userId: target.user.id }], ['ban', { conversationId: fx.id, userId: target.user.id }]],
            ['mute', ['POST', `/v1/conversations/${fx.id}/members/${target.user.id}/mute`, {}], ['mute', { conversationId: fx.id, userId: target.user.id }]],
            ['set_role', ['PATCH', `/v1/conversations/${fx.id}/members/${target.user.id}`, { role: 'member' }], ['set_role', { conversationId: fx.id, userId: target.user.id, role: 'member' }]],
          ];
          // Removing yourself is leaving, and deleting your own message is yours to do: only others here.
          if (!self) {
            actions.push(['remove', ['DELETE', `/v1/conversations/${fx.id}/members/${target.user.id}`], ['remove_member', { conversationId: fx.id, userId: target.user.id }]]);
            actions.push(['delete', ['DELETE', `/v1/conversations/${fx.id}/messages/${message.id}`], ['delete', { conversationId: fx.id, messageId: message.id }]]);
          }
          for (const [name, route, frame] of actions) {
            for (const transport of ['http', 'socket'] as const) {
              const where = `${actorRole} → ${self ? 'themselves' : targetRole}: ${name} over ${transport}`;
              const before = await observe(env, fx);
              const answer = transport === 'http' ? await overHttp(env, actor, route) : await overSocket(sockets.get(actor)!, ...frame);
              tally.probes++;
              if (answer.ok || answer.error?.code !== 'forbidden') {
                wrong.push(`${where}: expected forbidden, got ${answer.ok ? 'ok' : JSON.stringify(answer.error)}`);
                continue;
              }
              tally.forbidden++;
              if (JSON.stringify(await observe(env, fx)) !== JSON.stringify(before)) wrong.push(`${where}: refused, but the conversation changed`);
              const member = await memberOf(env, fx, target.user.id);
              if (member?.role !== targetRole || member.mutedUntil !== null) wrong.push(`${where}: refused, but the target is now ${JSON.stringify(member)}`);
            }
          }
        }
      }
      assert.deepEqual(wrong, []);
    });

    it('ran the whole matrix', (context) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      context.diagnostic(`${backend.name}: ${tally.probes} probes (${tally.ok} allowed, ${tally.forbidden} forbidden, ${tally.notFound} not found) in ${seconds} s`);
      const planned = SPECS.reduce((sum, spec) => sum + actorsOf(spec).length * PROBES.filter((p) => p.kinds.includes(spec.kind)).length * 2, 0);
      assert.ok(tally.probes >= planned, `${tally.probes} probes, ${planned} planned for the matrix alone`);
      assert.ok(tally.ok > 0 && tally.forbidden > 0 && tally.notFound > 0);
    });
  });
}
