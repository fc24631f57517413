export * from './database-config.js';
export * from './data-source.js';
export * from './db.js';
export * from './columns.js';
export * from './errors.js';
export * from './ids.js';
export * from './database-providers.js';
export * from './sql-logger.js';
