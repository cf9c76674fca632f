export * from './errors.ts';
export * from './close-codes.ts';
export * from './limits.ts';
export * from './common.ts';
export * from './entities.ts';
export * from './http.ts';
export * from './frames.ts';
