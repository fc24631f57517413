import { describe, expect, it } from '@jest/globals';
import { readInboundAuth } from './common-config.js';
import { EnvReader } from './env.js';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  const auth = readInboundAuth(reader, 'FERRY_X', 'ferry-x');
  return { auth, done: () => reader.done('x') };
};

describe('readInboundAuth', () => {
  it('grants each development client only the scopes its calls need', () => {
    const { auth, done } = read({ FERRY_PROVIDER_SOURCE: 'files' });
    done();
    const granted = Object.fromEntries(auth.clients.map((c) => [c.clientId, [c.scopes, c.sources]]));
    expect(granted).toEqual({
      'ferry-scheduler': [['sync:write', 'sync:read'], undefined],
      'ferry-consumer': [['callbacks:write', 'data:read'], undefined],
      'ferry-provider': [['triggers:write'], ['files']],
      'ferry-admin': [['admin:read', 'admin:write'], undefined],
      'upstream-dev': [['triggers:write', 'data:write', 'data:read'], ['*']],
    });
    expect(auth.maxTokenLifetimeSeconds).toBe(3600);
  });

  it('stops the boot for a client without scopes or with bad sources, naming the client', () => {
    const clients = [
      { clientId: 'erp', keys: [{ alg: 'HS256', secret: 's' }] },
      { clientId: 'crm', keys: [{ alg: 'HS256', secret: 's' }], scopes: [], sources: 'crm' },
    ];
    const { done } = read({ FERRY_X_CLIENTS: JSON.stringify(clients), FERRY_MAX_TOKEN_LIFETIME_SECONDS: '5' });
    expect(done).toThrow(/FERRY_X_CLIENTS\[0\] \(erp\) has no "scopes" list/);
    expect(done).toThrow(/FERRY_X_CLIENTS\[1\] \(crm\) "sources" must be a list/);
    expect(done).toThrow(/FERRY_MAX_TOKEN_LIFETIME_SECONDS must be an integer in \[10, 86400\]/);
  });
});
