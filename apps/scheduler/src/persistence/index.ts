export * from './entities.js';
export { SCHEDULER_MIGRATIONS } from './migrations/1764000000000-initial.js';
