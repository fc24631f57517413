export * from './decorators.js';
export * from './document.js';
export * from './errors.js';
export * from './schema-refs.js';
