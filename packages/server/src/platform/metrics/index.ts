export { type BufferedBytes, createMetrics, type GatewayGauges, type Metrics, type RefusalReason, secondsSince } from './metrics.ts';
