export * from './backoff.js';
export * from './table.js';
export * from './store.js';
export * from './pump.js';
export * from './listing.js';
