export * from './redis.js';
export * from './queues.js';
