import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationKind, Role, UserStatus } from '@parley/protocol';
import { type Action, authorize, type PolicyFacts } from '../src/modules/policy/index.ts';
import { AppError } from '../src/platform/errors.ts';

/**
 * authorize() as a table: every action, for every conversation kind (or none), every
 * membership (owner, member, none), and every variation of the facts the action looks at.
 * The expectations are written out below as rules, independently of the implementation.
 */

type Outcome = 'ok' | 'forbidden' | 'not_found';

const ACTOR = 'actor';
const OTHER = 'other';

const actions: Action[] = [
  'conversation.view',
  'conversation.update',
  'message.send',
  'message.edit',
  'message.delete',
  'members.add',
  'members.remove',
  'conversation.leave',
];
const kinds: Array<ConversationKind | null> = ['direct', 'group', null];
const memberships: Array<Role | null> = ['owner', 'member', null];

type MessageFact = { label: string; value: PolicyFacts['message'] };
const messages: MessageFact[] = [
  { label: 'own message', value: { senderId: ACTOR, deleted: false } },
  { label: 'own deleted message', value: { senderId: ACTOR, deleted: true } },
  { label: 'another\'s message', value: { senderId: OTHER, deleted: false } },
  { label: 'another\'s deleted message', value: { senderId: OTHER, deleted: true } },
  { label: 'missing message', value: null },
];

type TargetFact = { label: string; value: PolicyFacts['target'] };
const targets: TargetFact[] = [
  { label: 'another member', value: { userId: OTHER, role: 'member' } },
  { label: 'another owner', value: { userId: OTHER, role: 'owner' } },
  { label: 'themselves', value: { userId: ACTOR, role: 'member' } },
  { label: 'a non-member', value: null },
];

const peerStatuses: Array<UserStatus | null> = ['active', 'suspended', 'deleted', null];

interface Case {
  action: Action;
  kind: ConversationKind | null;
  role: Role | null;
  message?: MessageFact;
  target?: TargetFact;
  peerStatus?: UserStatus | null;
}

/** The rules, as a product person would state them. */
function expected(c: Case): Outcome {
  // Not a member, or no such conversation: indistinguishable, and nothing else matters.
  if (c.kind === null || c.role === null) return 'not_found';
  const group = c.kind === 'group';
  const owner = c.role === 'owner';
  switch (c.action) {
    case 'conversation.view':
      return 'ok';
    case 'conversation.update':
    case 'members.add':
      return group && owner ? 'ok' : 'forbidden';
    case 'message.send':
      // A direct conversation with a deleted account is read-only.
      return c.kind === 'direct' && c.peerStatus === 'deleted' ? 'forbidden' : 'ok';
    case 'message.edit': {
      const message = c.message!.value;
      if (!message || message.deleted) return 'not_found';
      return message.senderId === ACTOR ? 'ok' : 'forbidden';
    }
    case 'message.delete': {
      const message = c.message!.value;
      if (!message) return 'not_found';
      // Deleting an already deleted message is allowed (the service makes it a no-op).
      if (message.senderId === ACTOR) return 'ok';
      return group && owner ? 'ok' : 'forbidden';
    }
    case 'members.remove': {
      if (!group) return 'forbidden';
      const target = c.target!.value;
      if (!target) return 'not_found';
      if (target.userId === ACTOR) return 'forbidden'; // leaving is its own action
      return owner ? 'ok' : 'forbidden';
    }
    case 'conversation.leave':
      return group ? 'ok' : 'forbidden';
  }
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const action of actions) {
    for (const kind of kinds) {
      for (const role of memberships) {
        if (action === 'message.edit' || action === 'message.delete') {
          for (const message of messages) all.push({ action, kind, role, message });
        } else if (action === 'members.remove') {
          for (const target of targets) all.push({ action, kind, role, target });
        } else if (action === 'message.send') {
          for (const peerStatus of peerStatuses) all.push({ action, kind, role, peerStatus });
        } else {
          all.push({ action, kind, role });
        }
      }
    }
  }
  return all;
}

function facts(c: Case): PolicyFacts {
  const result: PolicyFacts = { conversation: c.kind ? { kind: c.kind } : null, membership: c.role ? { role: c.role } : null };
  if (c.message) result.message = c.message.value;
  if (c.target) result.target = c.target.value;
  if (c.peerStatus !== undefined) result.peerStatus = c.peerStatus;
  return result;
}

function outcome(c: Case): { outcome: Outcome; error: AppError | null } {
  try {
    authorize(ACTOR, c.action, facts(c));
    return { outcome: 'ok', error: null };
  } catch (error) {
    assert.ok(error instanceof AppError, `authorize throws only AppErrors, got ${String(error)}`);
    assert.ok(error.code === 'forbidden' || error.code === 'not_found', `unexpected code ${error.code}`);
    return { outcome: error.code, error };
  }
}

const describeCase = (c: Case) =>
  `${c.role ?? 'a non-member'} ${c.action} in ${c.kind ? `a ${c.kind} conversation` : 'no conversation'}` +
  `${c.message ? ` on ${c.message.label}` : ''}${c.target ? ` targeting ${c.target.label}` : ''}${c.peerStatus !== undefined ? ` with peer ${c.peerStatus}` : ''}`;

describe('the policy table', () => {
  const table = cases();

  it('covers every action × kind × membership with the facts each action reads', () => {
    // 4 plain actions × 9, send × 9 × 4 peer states, edit and delete × 9 × 5 messages, remove × 9 × 4 targets.
    assert.equal(table.length, 4 * 9 + 9 * 4 + 2 * 9 * 5 + 9 * 4);
  });

  for (const c of table) {
    const want = expected(c);
    it(`${want === 'ok' ? 'allows' : `refuses (${want})`} ${describeCase(c)}`, () => {
      assert.equal(outcome(c).outcome, want);
    });
  }

  it('refuses a non-member exactly as it refuses a conversation that does not exist', () => {
    for (const action of actions) {
      const extra = { message: messages[0]!.value, target: targets[0]!.value, peerStatus: 'active' as const };
      const stranger = outcome({ action, kind: 'group', role: null }).error ?? assert.fail('allowed');
      const missing = outcome({ action, kind: null, role: 'owner' }).error ?? assert.fail('allowed');
      assert.deepEqual([stranger.code, stranger.message, stranger.details], [missing.code, missing.message, missing.details], action);
      // Facts about the message or target change nothing for a non-member.
      try {
        authorize(ACTOR, action, { conversation: { kind: 'group' }, membership: null, ...extra });
        assert.fail('allowed');
      } catch (error) {
        assert.equal((error as AppError).message, stranger.message);
      }
    }
  });

  it('says "message not found" for a missing message, not "conversation not found"', () => {
    const error = outcome({ action: 'message.edit', kind: 'group', role: 'member', message: messages.at(-1)! }).error!;
    assert.equal(error.code, 'not_found');
    assert.match(error.message, /message/i);
  });
});
