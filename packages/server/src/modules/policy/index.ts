export { type Action, authorize, type PolicyFacts } from './policy.ts';
