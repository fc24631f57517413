import { describe, expect, it } from '@jest/globals';
import { schedulerConfigFromEnv } from './scheduler.config.js';

const client = (clientId: string, scopes: string[]) => ({ clientId, keys: [{ alg: 'HS256', secret: 's' }], scopes });
const clients = JSON.stringify([client('ledger', ['callbacks:write']), client('erp', ['triggers:write'])]);
const read = (env: Record<string, string>) =>
  schedulerConfigFromEnv({ FERRY_DEV_MODE: 'true', ...env }).callbackClients;

describe('FERRY_SCHEDULER_CALLBACK_CLIENTS', () => {
  it("defaults to the reference consumer's client, whatever clients are configured", () => {
    expect(read({})).toEqual(['ferry-consumer']);
    expect(read({ FERRY_SCHEDULER_CLIENTS: clients })).toEqual(['ferry-consumer']);
  });

  it('takes a comma list or a JSON array of clients configured with callbacks:write', () => {
    const both = JSON.stringify([client('ledger', ['callbacks:write']), client('crm', ['callbacks:write'])]);
    expect(read({ FERRY_SCHEDULER_CLIENTS: both, FERRY_SCHEDULER_CALLBACK_CLIENTS: ' ledger, crm ' })).toEqual([
      'ledger',
      'crm',
    ]);
    expect(read({ FERRY_SCHEDULER_CLIENTS: both, FERRY_SCHEDULER_CALLBACK_CLIENTS: '["crm"]' })).toEqual(['crm']);
  });

  it('stops the boot for an empty list or a client that cannot call back, naming it', () => {
    const env = { FERRY_SCHEDULER_CLIENTS: clients };
    for (const bad of ['[]', 'ledger,,', '[1]'])
      expect(() => read({ ...env, FERRY_SCHEDULER_CALLBACK_CLIENTS: bad })).toThrow(/must list client ids/);
    expect(() => read({ ...env, FERRY_SCHEDULER_CALLBACK_CLIENTS: 'ledger,erp' })).toThrow(
      /names "erp", not a client with callbacks:write/,
    );
  });
});
