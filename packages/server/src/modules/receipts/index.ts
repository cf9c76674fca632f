export { createReceiptsService, type ReceiptsService } from './receipts.service.ts';
export { receiptRoutes } from './receipts.routes.ts';
