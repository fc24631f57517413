export * from './bootstrap.js';
export * from './api-exception.filter.js';
export * from './schema.js';
export * from './rate-limit.guard.js';
export * from './health.js';
export * from './app-providers.js';
export * from './http-call.js';
export * from './openapi/index.js';
