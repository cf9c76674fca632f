export { createMetrics, type GatewayGauges, type Metrics, type RefusalReason } from './metrics.ts';
