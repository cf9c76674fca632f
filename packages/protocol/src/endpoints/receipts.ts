import type { EndpointSpec } from '../endpoint.ts';
import { EmptyResponse, MessageParams } from '../http.ts';
import { DeliveredBody, MessageReceiptsResponse } from '../realtime.ts';

export const receiptsEndpoints = {
  markDelivered: {
    method: 'POST',
    path: '/v1/me/delivered',
    access: 'user',
    tag: 'receipts',
    summary: 'Report the highest seq per conversation that reached this device (batched; the socket frame `delivered` is the same)',
    body: DeliveredBody,
    response: EmptyResponse,
    errors: [],
  },
  getMessageReceipts: {
    method: 'GET',
    path: '/v1/conversations/:id/messages/:messageId/receipts',
    access: 'user',
    tag: 'receipts',
    summary: 'Who received and read a message: lists for its sender in direct conversations and small groups, counts otherwise (view counts in channels)',
    params: MessageParams,
    response: MessageReceiptsResponse,
    errors: ['not_found'],
  },
} as const satisfies Record<string, EndpointSpec>;
