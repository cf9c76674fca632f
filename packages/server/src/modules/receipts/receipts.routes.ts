import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { ReceiptsService } from './receipts.service.ts';

export function receiptRoutes(deps: { receipts: ReceiptsService }): Route[] {
  const { receipts } = deps;
  return [
    route(Endpoints.markDelivered, async ({ actor, body }) => {
      await receipts.delivered(actor, body.conversations);
      return {};
    }),
    route(Endpoints.getMessageReceipts, async ({ actor, params }) => ({ receipts: await receipts.forMessage(actor, params.id, params.messageId) })),
  ];
}
