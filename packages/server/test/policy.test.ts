import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ConversationKind, type Right, RightList, type Role, RoleList, type UserStatus } from '@parley/protocol';
import {
  type Action, type AddCandidate, authorize, authorizePlatformAdd, CANNOT_ADD, checkSlowMode, effectiveRights, MEMBER_DEFAULTS, MEMBER_GRANTABLE, type PolicyFacts, RANK,
  ROLES_OF_KIND, SENDING_RIGHTS, STAFF_DEFAULTS,
} from '../src/modules/policy/index.ts';
import { AppError } from '../src/platform/errors.ts';

/**
 * authorize() as a table. The rules below are the product's permission model written out
 * on their own (the issue's roles and rights, docs/permissions.md), not read from the
 * implementation: every action, in every conversation kind (or none), for every role the
 * kind has (or none), holding any set of rights, against every variation of the facts the
 * action looks at. Then the rights table itself: which role holds what by default, and how
 * a conversation's member rights, custom staff rights and mutes change it.
 */

type Outcome = 'ok' | 'forbidden' | 'not_found' | 'validation_failed';

const ACTOR = 'actor';
const OTHER = 'other';
const EVERY: readonly Right[] = RightList;
const KINDS: readonly ConversationKind[] = ['direct', 'group', 'channel'];

// --- the model, as a product person states it ---------------------------------------------

/** Who can be in each kind: two equal members in a direct chat; channels have subscribers where groups have members. */
const ROLES: Record<ConversationKind, readonly Role[]> = {
  direct: ['member'],
  group: ['owner', 'admin', 'moderator', 'member'],
  channel: ['owner', 'admin', 'moderator', 'subscriber'],
};

/** Owner over admin over moderator over member over subscriber. */
const SENIORITY: readonly Role[] = ['subscriber', 'member', 'moderator', 'admin', 'owner'];
const rank = (role: Role) => SENIORITY.indexOf(role);

const MODERATOR: readonly Right[] = ['send_messages', 'send_media', 'send_links', 'add_members', 'remove_members', 'ban_members', 'mute_members', 'delete_messages', 'pin_messages', 'start_calls', 'view_audit_log'];

/** What each role may do by default, per kind. */
function defaults(kind: ConversationKind, role: Role): readonly Right[] {
  switch (role) {
    case 'owner':
      return EVERY;
    case 'admin':
      return EVERY.filter((right) => right !== 'manage_roles');
    case 'moderator':
      return MODERATOR;
    case 'member':
      return kind === 'direct'
        ? ['send_messages', 'send_media', 'send_links', 'pin_messages', 'start_calls']
        : ['send_messages', 'send_media', 'send_links', 'add_members', 'start_calls'];
    case 'subscriber':
      return [];
  }
}

/** What a group or channel may hand to its ordinary members; everything else stays with staff. */
const GRANTABLE: readonly Right[] = ['send_messages', 'send_media', 'send_links', 'add_members', 'pin_messages', 'edit_info', 'start_calls'];
/** A mute takes these away while it runs. */
const SENDING: readonly Right[] = ['send_messages', 'send_media', 'send_links', 'post'];
/** Holding any of these makes you one of a conversation's moderators (you see its reports). */
const MODERATION: readonly Right[] = ['delete_messages', 'ban_members', 'remove_members', 'mute_members'];

/** Whether someone lets the actor add them: never while banned there or blocking the actor; then as their setting says. */
function refuses(candidate: AddCandidate): boolean {
  if (candidate.banned || candidate.blocksActor) return true;
  if (candidate.addPrivacy === 'nobody') return true;
  return candidate.addPrivacy === 'contacts' && !candidate.contact;
}

interface Case {
  action: Action;
  kind: ConversationKind | null;
  role: Role | null;
  rights: ReadonlySet<Right>;
  rightsLabel: string;
  facts: Partial<PolicyFacts>;
  factsLabel: string;
}

const lacks = (c: Case, right: Right) => !c.rights.has(right);

/** Writing text now: sending, forwarding, or editing your own. */
function mayWrite(c: Case): Outcome {
  const direct = c.kind === 'direct';
  if (direct && c.facts.peerStatus === 'deleted') return 'forbidden'; // read-only once the other account is gone
  if (direct && c.facts.blocked) return 'forbidden'; // a block stops both sides
  if (lacks(c, c.kind === 'channel' ? 'post' : 'send_messages')) return 'forbidden';
  if (c.facts.hasLinks && lacks(c, 'send_links')) return 'forbidden';
  return 'ok';
}

/** The rules. The order of the checks is part of them: what you learn depends on what you may know. */
function expected(c: Case): Outcome {
  // Not a member, or no such conversation: indistinguishable, and nothing else matters.
  if (c.kind === null || c.role === null) return 'not_found';
  const direct = c.kind === 'direct';
  const { message, target, grant, memberRights, candidates, joinRequest } = c.facts;

  switch (c.action) {
    case 'conversation.create':
    case 'conversation.join':
      throw new Error('coming in from outside is decided before membership: see its own table below');

    case 'conversation.view':
    case 'message.react': // every member may react, subscribers included
      return 'ok';

    case 'message.send':
      return mayWrite(c);

    case 'message.forward': // taking a copy out: a message that is there, from a conversation that lets its content out
      if (!message || message.deleted) return 'not_found';
      return c.facts.conversation?.protectedContent ? 'forbidden' : 'ok';

    case 'message.edit':
      if (!message || message.deleted) return 'not_found';
      if (message.senderId !== ACTOR) return 'forbidden'; // nobody edits another's words
      return mayWrite(c); // new text is writing: whatever stops a send stops an edit

    case 'message.delete':
      if (!message) return 'not_found';
      if (message.senderId === ACTOR) return 'ok'; // your own, always (twice is a no-op in the service)
      if (lacks(c, 'delete_messages')) return 'forbidden';
      if (message.senderRole && rank(message.senderRole) >= rank(c.role)) return 'forbidden'; // only below your role
      return 'ok';

    case 'message.pin':
      if (!message) return 'not_found';
      return lacks(c, 'pin_messages') ? 'forbidden' : 'ok';

    case 'conversation.update':
      if (direct || lacks(c, 'edit_info')) return 'forbidden';
      return 'ok';

    case 'conversation.settings': // visibility, handle, rules for members: admins (with edit_info) and up
      if (direct || lacks(c, 'edit_info') || rank(c.role) < rank('admin')) return 'forbidden';
      // Beyond the owner, nobody gives members a right they lack themselves; taking rights away is always fine.
      if (memberRights && c.role !== 'owner' && memberRights.next.some((right) => !memberRights.current.includes(right) && lacks(c, right))) return 'forbidden';
      return 'ok';

    case 'conversation.transfer':
      if (direct || c.role !== 'owner') return 'forbidden';
      if (!target || target.role === null) return 'not_found';
      if (target.userId === ACTOR) return 'forbidden';
      return 'ok';

    case 'conversation.leave':
      return direct ? 'forbidden' : 'ok';

    case 'members.add':
      if (direct || lacks(c, 'add_members')) return 'forbidden';
      // Once it is known who: each of them must let the actor add them.
      return candidates?.some(refuses) ? 'forbidden' : 'ok';

    case 'members.remove':
    case 'members.ban':
    case 'members.mute': {
      const right: Right = c.action === 'members.remove' ? 'remove_members' : c.action === 'members.ban' ? 'ban_members' : 'mute_members';
      // The right first: without it you learn nothing about the target.
      if (direct || lacks(c, right)) return 'forbidden';
      if (!target) return 'not_found';
      if (target.userId === ACTOR) return 'forbidden'; // leaving is its own action
      // Only members below you; someone who is not a member (banning after they left) has no rank.
      if (target.role !== null && rank(target.role) >= rank(c.role)) return 'forbidden';
      return 'ok';
    }

    case 'members.set_role': {
      if (direct || lacks(c, 'manage_roles')) return 'forbidden';
      if (!target) return 'not_found';
      if (target.userId === ACTOR) return 'forbidden';
      if (target.role !== null && rank(target.role) >= rank(c.role)) return 'forbidden';
      if (target.role === null) return 'not_found';
      // Ownership moves only by transfer; a kind has only its own roles.
      if (grant!.role === 'owner' || !ROLES[c.kind].includes(grant!.role)) return 'validation_failed';
      // Only the owner makes admins: you give roles below your own.
      if (rank(grant!.role) >= rank(c.role)) return 'forbidden';
      const staff = grant!.role === 'admin' || grant!.role === 'moderator';
      if (grant!.rights && !staff) return 'validation_failed'; // custom sets are for staff
      // Only rights you hold yourself, whether given as a custom set or as the role's defaults.
      const given = grant!.rights ?? (staff ? defaults(c.kind, grant!.role) : []);
      if (given.some((right) => lacks(c, right))) return 'forbidden';
      return 'ok';
    }

    case 'invites.manage':
      return direct || lacks(c, 'manage_invites') ? 'forbidden' : 'ok';

    case 'join_request.approve':
      if (direct || lacks(c, 'manage_invites')) return 'forbidden';
      if (!joinRequest) return 'not_found';
      return joinRequest.banned ? 'forbidden' : 'ok'; // a ban holds against an approval too

    case 'audit.view':
      return direct || lacks(c, 'view_audit_log') ? 'forbidden' : 'ok';

    case 'reports.moderate':
      return direct || !MODERATION.some((right) => c.rights.has(right)) ? 'forbidden' : 'ok';

    case 'call.start': // like writing to a direct conversation, but the right is start_calls
      if (direct && (c.facts.peerStatus === 'deleted' || c.facts.blocked)) return 'forbidden';
      return lacks(c, 'start_calls') ? 'forbidden' : 'ok';

    case 'call.join': // any member answers or joins; only a block keeps two people apart
      return direct && c.facts.blocked ? 'forbidden' : 'ok';

    case 'call.end': // for everyone, a call someone else started: either side of a 1:1 call, a moderator or above elsewhere
      return direct || rank(c.role) >= rank('moderator') ? 'ok' : 'forbidden';
  }
}

// --- the cases ---------------------------------------------------------------------------

const ACTIONS: readonly Action[] = [
  'conversation.view', 'conversation.update', 'conversation.settings', 'conversation.transfer', 'conversation.leave',
  'message.send', 'message.forward', 'message.edit', 'message.delete', 'message.pin', 'message.react',
  'members.add', 'members.remove', 'members.ban', 'members.mute', 'members.set_role',
  'invites.manage', 'join_request.approve', 'audit.view', 'reports.moderate',
  'call.start', 'call.join', 'call.end',
];

/** Rights sets an actor may hold: the role's defaults, everything, nothing, everything but one, and each one alone. */
function rightsVariants(kind: ConversationKind, role: Role): Array<{ label: string; rights: ReadonlySet<Right> }> {
  return [
    { label: 'its default rights', rights: new Set(defaults(kind, role)) },
    { label: 'every right', rights: new Set(EVERY) },
    { label: 'no rights', rights: new Set() },
    ...EVERY.map((right) => ({ label: `every right but ${right}`, rights: new Set(EVERY.filter((r) => r !== right)) })),
    ...EVERY.map((right) => ({ label: `only ${right}`, rights: new Set([right]) })),
  ];
}

type Variant = { label: string; facts: Partial<PolicyFacts> };

/** Everyone the actor may want to add: each add-privacy setting, contact or not, blocking the actor or not, banned or not. */
function candidateVariants(): AddCandidate[] {
  const all: AddCandidate[] = [];
  for (const addPrivacy of ['everyone', 'contacts', 'nobody'] as const) {
    for (const contact of [false, true]) for (const blocksActor of [false, true]) for (const banned of [false, true]) all.push({ userId: OTHER, addPrivacy, contact, blocksActor, banned });
  }
  return all;
}

function addVariants(): Variant[] {
  const label = (c: AddCandidate) => `${c.addPrivacy}${c.contact ? ', a contact' : ''}${c.blocksActor ? ', blocking the actor' : ''}${c.banned ? ', banned' : ''}`;
  const welcoming: AddCandidate = { userId: 'third', addPrivacy: 'everyone', contact: false, blocksActor: false };
  return [
    { label: 'before it is known who', facts: {} },
    { label: 'nobody new', facts: { candidates: [] } },
    ...candidateVariants().map((c) => ({ label: `someone (${label(c)})`, facts: { candidates: [c] } })),
    ...candidateVariants().map((c) => ({ label: `someone welcoming and someone (${label(c)})`, facts: { candidates: [welcoming, c] } })),
  ];
}

function memberRightsVariants(): Variant[] {
  return [
    { label: 'not changing member rights', facts: {} },
    ...GRANTABLE.map((right) => ({ label: `giving members ${right}`, facts: { memberRights: { current: [], next: [right] } } })),
    { label: 'taking every right from members', facts: { memberRights: { current: GRANTABLE, next: [] } } },
    { label: 'keeping the rights members hold', facts: { memberRights: { current: GRANTABLE, next: GRANTABLE } } },
  ];
}

function forwardVariants(kind: ConversationKind): Variant[] {
  return messageVariants(true).flatMap((m) => [
    m,
    { label: `${m.label}, protected content`, facts: { ...m.facts, conversation: { kind, protectedContent: true } } },
  ]);
}

function messageVariants(withDeleted: boolean): Variant[] {
  const variants: Variant[] = [
    { label: 'their own message', facts: { message: { senderId: ACTOR, deleted: false } } },
    { label: 'a missing message', facts: { message: null } },
    { label: 'the message of someone who left', facts: { message: { senderId: OTHER, deleted: false, senderRole: null } } },
    ...RoleList.map((role) => ({ label: `a ${role}'s message`, facts: { message: { senderId: OTHER, deleted: false, senderRole: role } } })),
  ];
  if (withDeleted) {
    variants.push(
      { label: 'their own deleted message', facts: { message: { senderId: ACTOR, deleted: true } } },
      { label: 'a member\'s deleted message', facts: { message: { senderId: OTHER, deleted: true, senderRole: 'member' } } },
    );
  }
  return variants;
}

function targetVariants(kind: ConversationKind, role: Role): Variant[] {
  return [
    { label: 'no one', facts: { target: null } },
    { label: 'themselves', facts: { target: { userId: ACTOR, role } } },
    { label: 'a non-member', facts: { target: { userId: OTHER, role: null } } },
    ...ROLES[kind].map((other) => ({ label: `a ${other}`, facts: { target: { userId: OTHER, role: other } } })),
  ];
}

function sendVariants(): Variant[] {
  const peers: Array<UserStatus | null> = ['active', 'suspended', 'deleted', null];
  return [
    ...peers.map((peerStatus) => ({ label: `peer ${peerStatus ?? 'none'}`, facts: { peerStatus, blocked: false } })),
    { label: 'a block between them', facts: { peerStatus: 'active' as const, blocked: true } },
    { label: 'a link in the text', facts: { peerStatus: 'active' as const, blocked: false, hasLinks: true } },
    { label: 'a link and a block', facts: { peerStatus: 'active' as const, blocked: true, hasLinks: true } },
  ];
}

function grantVariants(kind: ConversationKind, role: Role): Variant[] {
  const variants: Variant[] = [];
  for (const target of targetVariants(kind, role)) {
    for (const grantRole of RoleList) {
      for (const [label, rights] of [['defaults', null], ['no custom rights', []], ['custom send_messages', ['send_messages']], ['custom every right', EVERY]] as const) {
        variants.push({ label: `${target.label} made ${grantRole} with ${label}`, facts: { ...target.facts, grant: { role: grantRole, rights } } });
      }
    }
  }
  return variants;
}

function factVariants(action: Action, kind: ConversationKind, role: Role): Variant[] {
  switch (action) {
    case 'message.send':
    case 'call.start':
    case 'call.join':
      return sendVariants();
    case 'message.forward':
      return forwardVariants(kind);
    case 'conversation.settings':
      return memberRightsVariants();
    case 'members.add':
      return addVariants();
    case 'join_request.approve':
      return [
        { label: 'no request', facts: { joinRequest: null } },
        { label: 'a request', facts: { joinRequest: { banned: false } } },
        { label: 'a request by someone banned', facts: { joinRequest: { banned: true } } },
      ];
    case 'message.edit': {
      // Every message against every writing situation.
      const writing = sendVariants().filter((v) => ['peer active', 'peer deleted', 'a block between them', 'a link in the text'].includes(v.label));
      return messageVariants(true).flatMap((m) => writing.map((w) => ({ label: `${m.label}, ${w.label}`, facts: { ...m.facts, ...w.facts } })));
    }
    case 'message.delete':
      return messageVariants(true);
    case 'message.pin':
      // The service passes a deleted message as missing.
      return messageVariants(false);
    case 'conversation.transfer':
    case 'members.remove':
    case 'members.ban':
    case 'members.mute':
      return targetVariants(kind, role);
    case 'members.set_role':
      return grantVariants(kind, role);
    default:
      return [{ label: 'no further facts', facts: {} }];
  }
}

function cases(action: Action, kind: ConversationKind | null): Case[] {
  const all: Case[] = [];
  const factKind = kind ?? 'group';
  for (const role of [...(kind ? ROLES[kind] : ['owner' as const]), null]) {
    const variants = role ? rightsVariants(factKind, role) : [{ label: 'no membership', rights: new Set<Right>() }];
    for (const { label: rightsLabel, rights } of variants) {
      for (const { label: factsLabel, facts } of factVariants(action, factKind, role ?? 'member')) {
        all.push({ action, kind, role, rights, rightsLabel, facts, factsLabel });
      }
    }
  }
  return all;
}

/** The case's facts on a private, unprotected conversation of its kind (a variant may say otherwise about the conversation). */
function factsOf(c: Case): PolicyFacts {
  const { conversation: shape, ...rest } = c.facts;
  return {
    conversation: c.kind ? { visibility: 'private', protectedContent: false, ...shape, kind: c.kind } : null,
    membership: c.role ? { role: c.role, rights: c.rights } : null,
    ...rest,
  };
}

function outcome(c: Case): { outcome: Outcome; error: AppError | null } {
  try {
    authorize(ACTOR, c.action, factsOf(c));
    return { outcome: 'ok', error: null };
  } catch (error) {
    assert.ok(error instanceof AppError, `authorize throws only AppErrors, got ${String(error)}`);
    assert.ok(['forbidden', 'not_found', 'validation_failed'].includes(error.code), `unexpected code ${error.code}`);
    return { outcome: error.code as Outcome, error };
  }
}

const describeCase = (c: Case) =>
  `${c.role ? `a ${c.role} with ${c.rightsLabel}` : 'a non-member'} in ${c.kind ? `a ${c.kind}` : 'no conversation'}, ${c.factsLabel}`;

// --- the suites --------------------------------------------------------------------------

describe('the policy table: every action × kind × role × rights × facts', () => {
  let total = 0;
  for (const action of ACTIONS) {
    describe(action, () => {
      for (const kind of [...KINDS, null]) {
        it(`decides as the rules say ${kind ? `in a ${kind} conversation` : 'without a conversation'}`, () => {
          const table = cases(action, kind);
          assert.ok(table.length > 0);
          total += table.length;
          const wrong: string[] = [];
          const seen = new Set<Outcome>();
          for (const c of table) {
            const want = expected(c);
            const got = outcome(c);
            seen.add(want);
            if (got.outcome !== want) wrong.push(`${describeCase(c)}: expected ${want}, got ${got.outcome}${got.error ? ` (${got.error.message})` : ''}`);
          }
          assert.deepEqual(wrong.slice(0, 25), [], `${wrong.length} of ${table.length} cases decided wrongly`);
          // Without a conversation nothing is ever allowed; elsewhere the table exercises both answers.
          if (kind === null) assert.deepEqual([...seen], ['not_found']);
        });
      }
    });
  }

  it('covers a meaningful number of cases', () => {
    // A guard against the generators silently shrinking: tens of thousands of decisions.
    assert.ok(total > 20_000, `only ${total} cases`);
  });

  it('refuses a non-member exactly as it refuses a conversation that does not exist, whatever else it knows', () => {
    for (const action of ACTIONS) {
      const missing = outcome({ action, kind: null, role: 'owner', rights: new Set(EVERY), rightsLabel: '', facts: {}, factsLabel: '' }).error!;
      for (const variant of factVariants(action, 'group', 'owner')) {
        const stranger = outcome({ action, kind: 'group', role: null, rights: new Set(), rightsLabel: '', facts: variant.facts, factsLabel: '' }).error!;
        assert.deepEqual([stranger.code, stranger.message, stranger.details], [missing.code, missing.message, missing.details], `${action} with ${variant.label}`);
      }
    }
  });

  it('says "message not found" for a missing message, not "conversation not found"', () => {
    for (const action of ['message.edit', 'message.delete', 'message.pin'] as const) {
      const error = outcome({ action, kind: 'group', role: 'owner', rights: new Set(EVERY), rightsLabel: '', facts: { message: null }, factsLabel: '' }).error!;
      assert.equal(error.code, 'not_found');
      assert.match(error.message, /message/i, action);
    }
  });

  it('names the rights that cannot be granted', () => {
    const error = outcome({
      action: 'members.set_role', kind: 'group', role: 'admin', rights: new Set(['manage_roles', 'send_messages'] as Right[]), rightsLabel: '',
      facts: { target: { userId: OTHER, role: 'member' }, grant: { role: 'moderator', rights: ['send_messages', 'ban_members', 'view_audit_log'] } }, factsLabel: '',
    }).error!;
    assert.equal(error.code, 'forbidden');
    assert.match(error.message, /ban_members, view_audit_log/);
    const toMembers = outcome({
      action: 'conversation.settings', kind: 'group', role: 'admin', rights: new Set(['edit_info'] as Right[]), rightsLabel: '',
      facts: { memberRights: { current: ['send_messages'], next: ['send_messages', 'add_members', 'pin_messages', 'edit_info'] } }, factsLabel: '',
    }).error!;
    assert.equal(toMembers.code, 'forbidden');
    assert.match(toMembers.message, /\(not: add_members, pin_messages\)/);
  });
});

describe('coming in from outside: starting and joining conversations', () => {
  const decide = (action: Action, facts: PolicyFacts): { outcome: Outcome; error: AppError | null } => {
    try {
      authorize(ACTOR, action, facts);
      return { outcome: 'ok', error: null };
    } catch (error) {
      assert.ok(error instanceof AppError);
      return { outcome: error.code as Outcome, error };
    }
  };

  it('joins by handle only public groups and channels, by invite any, never past a ban; a member is in already', () => {
    const wrong: string[] = [];
    let total = 0;
    for (const kind of [...KINDS, null]) {
      for (const visibility of ['public', 'private'] as const) {
        for (const via of ['handle', 'invite'] as const) {
          for (const member of [false, true]) {
            for (const banned of [false, true]) {
              const role = kind ? ROLES[kind].at(-1)! : 'member';
              const facts: PolicyFacts = {
                conversation: kind ? { kind, visibility, protectedContent: false } : null,
                membership: member && kind ? { role, rights: new Set(defaults(kind, role)) } : null,
                join: { via, banned },
              };
              // The model: what the way in cannot reach is not there; then members are in; then bans hold.
              const want: Outcome = !kind || kind === 'direct' || (via === 'handle' && visibility !== 'public') ? 'not_found' : member ? 'ok' : banned ? 'forbidden' : 'ok';
              const got = decide('conversation.join', facts);
              total++;
              if (got.outcome !== want) wrong.push(`${kind ?? 'no conversation'} ${visibility} by ${via}, ${member ? 'member' : 'outsider'}${banned ? ', banned' : ''}: expected ${want}, got ${got.outcome}`);
            }
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.equal(total, 4 * 2 * 2 * 2 * 2);
  });

  it('says of a conversation a handle cannot reach exactly what it says of none, in the words of the way in', () => {
    const join = (conversation: PolicyFacts['conversation'], via: 'handle' | 'invite') => decide('conversation.join', { conversation, membership: null, join: { via, banned: false } }).error!;
    const none = join(null, 'handle');
    const hidden = join({ kind: 'group', visibility: 'private' }, 'handle');
    assert.deepEqual([hidden.code, hidden.message, hidden.details], [none.code, none.message, none.details]);
    assert.equal(none.message, 'Conversation not found.');
    assert.equal(join(null, 'invite').message, 'This invite link is not valid.');
    assert.match(decide('conversation.join', { conversation: { kind: 'channel', visibility: 'public' }, membership: null, join: { via: 'handle', banned: true } }).error!.message, /cannot join/);
  });

  it('starts no direct conversation across a block, and no group or channel with anyone who does not let the actor add them', () => {
    assert.equal(decide('conversation.create', { conversation: { kind: 'direct' }, membership: null, blocked: false }).outcome, 'ok');
    assert.match(decide('conversation.create', { conversation: { kind: 'direct' }, membership: null, blocked: true }).error!.message, /cannot message this user/);
    for (const kind of ['group', 'channel'] as const) {
      assert.equal(decide('conversation.create', { conversation: { kind }, membership: null }).outcome, 'ok', `${kind} alone`);
      for (const candidate of candidateVariants().filter((c) => !c.banned)) {
        const got = decide('conversation.create', { conversation: { kind }, membership: null, candidates: [candidate] });
        assert.equal(got.outcome, refuses(candidate) ? 'forbidden' : 'ok', `${kind} with ${JSON.stringify(candidate)}`);
      }
    }
  });

  it('refuses to add with one answer for every reason, naming everyone refused and nobody else', () => {
    const candidates: AddCandidate[] = [
      { userId: 'welcome', addPrivacy: 'everyone', contact: false, blocksActor: false },
      { userId: 'private', addPrivacy: 'nobody', contact: true, blocksActor: false },
      { userId: 'blocker', addPrivacy: 'everyone', contact: true, blocksActor: true },
      { userId: 'banned', addPrivacy: 'everyone', contact: true, blocksActor: false, banned: true },
      { userId: 'stranger', addPrivacy: 'contacts', contact: false, blocksActor: false },
      { userId: 'friend', addPrivacy: 'contacts', contact: true, blocksActor: false },
    ];
    const facts: PolicyFacts = { conversation: { kind: 'group' }, membership: { role: 'member', rights: new Set(defaults('group', 'member')) }, candidates };
    const error = decide('members.add', facts).error!;
    assert.deepEqual([error.code, error.message, error.details], ['forbidden', CANNOT_ADD, { userIds: ['private', 'blocker', 'banned', 'stranger'] }]);
    const one = decide('members.add', { ...facts, candidates: [candidates[1]!] }).error!;
    const other = decide('members.add', { ...facts, candidates: [{ ...candidates[3]!, userId: 'private' }] }).error!;
    assert.deepEqual([one.code, one.message, one.details], [other.code, other.message, other.details], 'a ban reads like a privacy setting');
  });

  it('binds the platform only by bans', () => {
    authorizePlatformAdd([{ userId: 'a', banned: false }]);
    assert.throws(() => authorizePlatformAdd([{ userId: 'a', banned: false }, { userId: 'b', banned: true }]), (error: AppError) => error.code === 'forbidden' && JSON.stringify(error.details) === JSON.stringify({ userIds: ['b'] }));
  });
});

describe('slow mode', () => {
  const now = Date.UTC(2030, 0, 1);
  it('holds back members and subscribers until their wait is over, never staff, and only where it is on', () => {
    for (const role of RoleList) {
      for (const seconds of [0, 30]) {
        for (const lastSentAt of [null, now - 10_000, now - 30_000, now - 31_000]) {
          const label = `${role}, ${seconds} s, last sent ${lastSentAt === null ? 'never' : `${(now - lastSentAt) / 1000} s ago`}`;
          const applies = seconds > 0 && rank(role) <= rank('member');
          const wait = applies && lastSentAt !== null ? lastSentAt + seconds * 1000 - now : 0;
          if (wait > 0) {
            assert.throws(() => checkSlowMode({ seconds, role, lastSentAt, now }), (error: AppError) => error.code === 'rate_limited' && (error.details as any).retryAfterMs === wait, label);
          } else {
            assert.equal(checkSlowMode({ seconds, role, lastSentAt, now }), applies, label);
          }
        }
      }
    }
  });
});

describe('the rights table', () => {
  const now = Date.UTC(2030, 0, 1);
  const rightsOf = (kind: ConversationKind, role: Role, extra: { custom?: Right[] | null; memberRights?: Right[] | null; mutedUntil?: number | null } = {}) =>
    [...effectiveRights({ kind, role, custom: extra.custom ?? null, memberRights: extra.memberRights ?? null, mutedUntil: extra.mutedUntil ?? null, now })].sort();
  const sorted = (rights: readonly Right[]) => [...rights].sort();

  it('is the table the rules above state (roles per kind, seniority, defaults, grantable rights, sending rights)', () => {
    for (const kind of KINDS) assert.deepEqual([...ROLES_OF_KIND[kind]], [...ROLES[kind]], kind);
    for (const role of RoleList) for (const other of RoleList) assert.equal(RANK[role] > RANK[other], rank(role) > rank(other), `${role} over ${other}`);
    assert.deepEqual(sorted(STAFF_DEFAULTS.admin), sorted(defaults('group', 'admin')));
    assert.deepEqual(sorted(STAFF_DEFAULTS.moderator), sorted(defaults('group', 'moderator')));
    assert.deepEqual(sorted(MEMBER_DEFAULTS.group), sorted(defaults('group', 'member')));
    assert.deepEqual(sorted(MEMBER_DEFAULTS.direct), sorted(defaults('direct', 'member')));
    assert.deepEqual(sorted(MEMBER_DEFAULTS.channel), sorted(defaults('channel', 'subscriber')));
    assert.deepEqual(sorted(MEMBER_GRANTABLE), sorted(GRANTABLE));
    assert.deepEqual(sorted(SENDING_RIGHTS), sorted(SENDING));
  });

  /** The one action a right unlocks, with facts where nothing else stands in the way (null: no action uses it in this kind yet). */
  function gate(right: Right, kind: ConversationKind): { action: Action; facts: Partial<PolicyFacts> } | null {
    const lowest = ROLES[kind].at(-1)!;
    const onLowest = { target: { userId: OTHER, role: lowest } };
    switch (right) {
      case 'send_messages':
        return kind === 'channel' ? null : { action: 'message.send', facts: {} };
      case 'post':
        return kind === 'channel' ? { action: 'message.send', facts: {} } : null;
      case 'send_links':
        return { action: 'message.send', facts: { hasLinks: true } };
      case 'add_members':
        return { action: 'members.add', facts: {} };
      case 'remove_members':
        return { action: 'members.remove', facts: onLowest };
      case 'ban_members':
        return { action: 'members.ban', facts: onLowest };
      case 'mute_members':
        return { action: 'members.mute', facts: onLowest };
      case 'delete_messages':
        return { action: 'message.delete', facts: { message: { senderId: OTHER, deleted: false, senderRole: lowest } } };
      case 'pin_messages':
        return { action: 'message.pin', facts: { message: { senderId: OTHER, deleted: false } } };
      case 'edit_info':
        return { action: 'conversation.update', facts: {} };
      case 'manage_invites':
        return { action: 'invites.manage', facts: {} };
      case 'manage_roles':
        return { action: 'members.set_role', facts: { ...onLowest, grant: { role: lowest, rights: null } } };
      case 'view_audit_log':
        return { action: 'audit.view', facts: {} };
      case 'start_calls':
        return { action: 'call.start', facts: {} };
      case 'send_media':
        return null; // media is a later issue; the right is held and shown already
    }
  }

  for (const kind of KINDS) {
    for (const role of ROLES[kind]) {
      for (const right of EVERY) {
        const holds = defaults(kind, role).includes(right);
        const gated = gate(right, kind);
        const c: Case | null = gated
          ? { action: gated.action, kind, role, rights: new Set(rightsOf(kind, role)), rightsLabel: 'its default rights', facts: gated.facts, factsLabel: '' }
          : null;
        const want = c ? expected(c) : null;
        it(`a ${role} of a ${kind} ${holds ? 'holds' : 'lacks'} ${right} by default${c ? `, so ${c.action} is ${want === 'ok' ? 'allowed' : `refused (${want})`}` : ''}`, () => {
          assert.equal(rightsOf(kind, role).includes(right), holds);
          if (c) assert.equal(outcome(c).outcome, want);
        });
      }
    }
  }

  it('lets a group or channel restrict (or extend) what its ordinary members may do, and never its staff', () => {
    assert.deepEqual(rightsOf('group', 'member', { memberRights: [] }), [], 'a read-only group');
    assert.deepEqual(rightsOf('group', 'member', { memberRights: ['send_messages', 'pin_messages'] }), ['pin_messages', 'send_messages']);
    assert.deepEqual(rightsOf('channel', 'subscriber', { memberRights: ['start_calls'] }), ['start_calls']);
    for (const role of ['owner', 'admin', 'moderator'] as const) {
      assert.deepEqual(rightsOf('group', role, { memberRights: [] }), sorted(defaults('group', role)), role);
    }
    // Direct conversations have no such settings.
    assert.deepEqual(rightsOf('direct', 'member', { memberRights: [] }), sorted(defaults('direct', 'member')));
  });

  it('gives admins and moderators their custom set instead of the defaults, and nobody else', () => {
    assert.deepEqual(rightsOf('group', 'admin', { custom: ['pin_messages'] }), ['pin_messages']);
    assert.deepEqual(rightsOf('channel', 'moderator', { custom: ['post', 'delete_messages'] }), ['delete_messages', 'post']);
    assert.deepEqual(rightsOf('group', 'owner', { custom: [] }), sorted(EVERY));
    assert.deepEqual(rightsOf('group', 'member', { custom: EVERY.slice() }), sorted(defaults('group', 'member')));
  });

  it('takes the sending rights away while a mute runs, and only then', () => {
    for (const kind of KINDS) {
      for (const role of ROLES[kind]) {
        const running = rightsOf(kind, role, { mutedUntil: now + 1 });
        assert.deepEqual(running, sorted(defaults(kind, role).filter((right) => !SENDING.includes(right))), `${role} of a ${kind}, muted`);
        assert.deepEqual(rightsOf(kind, role, { mutedUntil: now }), sorted(defaults(kind, role)), `${role} of a ${kind}, mute ended`);
      }
    }
  });
});
