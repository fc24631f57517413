export * from './env.js';
export * from './common-config.js';
export * from './development.js';
export * from './redis-url.js';
