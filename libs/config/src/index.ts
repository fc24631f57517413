export * from './env.js';
export * from './common-config.js';
