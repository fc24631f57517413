export * from './common.js';
export * from './trigger.js';
export * from './callback.js';
export * from './definition.js';
export * from './sync-job.js';
export * from './provider.js';
export * from './scopes.js';
export * from './alert.js';
