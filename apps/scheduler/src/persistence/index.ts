export * from './entities.js';
import { Initial1764000000000 } from './migrations/1764000000000-initial.js';
import { Alerts1765000000000 } from './migrations/1765000000000-alerts.js';

export const SCHEDULER_MIGRATIONS = [Initial1764000000000, Alerts1765000000000];
