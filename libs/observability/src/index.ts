export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './request-scope.js';
export * from './tracing.js';
export * from './observability.js';
