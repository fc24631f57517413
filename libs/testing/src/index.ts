export * from './databases.js';
export * from './tokens.js';
