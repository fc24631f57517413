export * from './canonical.js';
export * from './checksum.js';
export * from './dataset.js';
export * from './demo.js';
export * from './schema-guard.js';
