export * from './env.js';
export * from './common-config.js';
export * from './redis-url.js';
