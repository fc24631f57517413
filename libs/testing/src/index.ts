export * from './databases.js';
export * from './tokens.js';
export * from './fake-scheduler.js';
export * from './http-client.js';
export * from './fake-downstream.js';
export * from './tcp-proxy.js';
export * from './child-app.js';
