export { createReceiptsService, type ReceiptsService } from './receipts.service.ts';
export { registerReceiptRoutes } from './receipts.routes.ts';
