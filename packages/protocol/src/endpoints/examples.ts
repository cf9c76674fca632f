import type { BodyOf, ResponseOf } from '../endpoint.ts';
import type { Endpoints } from './index.ts';

/** A request body and a 200 answer of one operation, typed by its schemas. */
export interface EndpointExample<E extends Endpoints[keyof Endpoints]> {
  readonly body?: BodyOf<E>;
  readonly response?: ResponseOf<E>;
}

const alice = { id: '0193a6f2-7c1e-7a30-9a0e-5d2c7b1f0a01', handle: 'alice', displayName: 'Alice' };
const conversationId = '0193a6f2-8d40-7b11-8c2a-3e9f1d6b4c02';
const hello = {
  id: '0193a6f3-01aa-7c52-b1d3-6f0e2a9c8d03',
  conversationId,
  seq: 42,
  senderId: alice.id,
  clientMsgId: 'c-7f3a91',
  text: 'Hello, team!',
  replyTo: null,
  createdAt: '2026-01-15T09:30:00.000Z',
  editedAt: null,
  deletedAt: null,
  forwardedFrom: null,
  reactions: [{ emoji: '👍', count: 2 }],
  attachments: [],
  mentions: [],
};
const tokens = {
  user: alice,
  accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkzYTZmMiJ9.c2lnbmF0dXJl',
  expiresIn: 900,
  refreshToken: '0193a6f2-9e51-7c20-a3b4-1c5d7e9f2a04.bXktcmVmcmVzaC1zZWNyZXQ',
  sessionId: '0193a6f2-9e51-7c20-a3b4-1c5d7e9f2a04',
};

/**
 * Examples of the main operations, shown in the OpenAPI document (`example` of the request
 * and 200 media types). Typed here by the operations' schemas, and checked against them by
 * a test, so an example cannot drift from what the server accepts and answers.
 */
export const EndpointExamples: { readonly [Id in keyof Endpoints]?: EndpointExample<Endpoints[Id]> } = {
  register: {
    body: { handle: 'alice', password: 'correct horse battery', displayName: 'Alice', deviceName: 'Firefox on Linux' },
    response: tokens,
  },
  login: {
    body: { handle: 'alice', password: 'correct horse battery', deviceName: 'Firefox on Linux' },
    response: tokens,
  },
  refresh: {
    body: { refreshToken: tokens.refreshToken },
    response: tokens,
  },
  getMe: {
    response: { user: alice, sessionId: tokens.sessionId },
  },
  createConversation: {
    body: { kind: 'group', title: 'Launch team', memberIds: ['0193a6f2-7c1e-7a30-9a0e-5d2c7b1f0a05', '0193a6f2-7c1e-7a30-9a0e-5d2c7b1f0a06'] },
  },
  sendMessage: {
    body: { clientMsgId: hello.clientMsgId, text: hello.text },
    response: { message: hello },
  },
  editMessage: {
    body: { text: 'Hello, everyone!' },
    response: { message: { ...hello, text: 'Hello, everyone!', editedAt: '2026-01-15T09:31:12.000Z' } },
  },
  listMessages: {
    response: { messages: [hello], hasMore: false, lastSeq: 42, myReactions: { [hello.id]: ['👍'] } },
  },
  markRead: {
    body: { seq: 42 },
  },
};
