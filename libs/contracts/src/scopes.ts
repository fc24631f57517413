/** The contract's scopes (docs/contract.md, "Service-to-service auth"). */
export const Scope = {
  triggersWrite: 'triggers:write',
  callbacksWrite: 'callbacks:write',
  syncWrite: 'sync:write',
  syncRead: 'sync:read',
  dataRead: 'data:read',
  dataWrite: 'data:write',
  adminRead: 'admin:read',
  adminWrite: 'admin:write',
  /** The operators' actions (retry, cancel, pause/resume, run now, alert moves); `admin:write` also allows them. */
  adminOperate: 'admin:operate',
} as const;

export const Audience = {
  scheduler: 'ferry-scheduler',
  consumer: 'ferry-consumer',
  provider: 'ferry-provider',
} as const;
