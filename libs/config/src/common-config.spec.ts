import { describe, expect, it } from '@jest/globals';
import { readInboundAuth, readRedis } from './common-config.js';
import { DEV_SECRET, readDevelopment, readSigningSecret } from './development.js';
import { EnvReader } from './env.js';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  const dev = readDevelopment(reader);
  const auth = readInboundAuth(reader, dev, 'FERRY_X', 'ferry-x');
  const signing = readSigningSecret(reader, dev, 'FERRY_X_SIGNING_SECRET');
  return { auth, signing, done: () => reader.done('x') };
};
const hs256 = (clientId: string, secret: string) => ({ clientId, keys: [{ alg: 'HS256', secret }], scopes: ['a'] });
const strong = 'x'.repeat(32);

describe('readInboundAuth', () => {
  it('in development mode grants each default client only the scopes its calls need', () => {
    const { auth, signing, done } = read({ FERRY_DEV_MODE: 'true', FERRY_PROVIDER_SOURCE: 'files' });
    done();
    const granted = Object.fromEntries(auth.clients.map((c) => [c.clientId, [c.scopes, c.sources]]));
    expect(granted).toEqual({
      'ferry-scheduler': [['sync:write', 'sync:read'], undefined],
      'ferry-consumer': [['callbacks:write', 'data:read'], undefined],
      'ferry-provider': [['triggers:write'], ['files']],
      'ferry-admin': [['admin:read', 'admin:write'], undefined],
      'upstream-dev': [['triggers:write', 'data:write', 'data:read'], ['*']],
    });
    expect(auth.clients.every((c) => c.keys.every((k) => 'secret' in k && k.secret === DEV_SECRET))).toBe(true);
    expect(signing).toBe(DEV_SECRET);
    expect(auth.maxTokenLifetimeSeconds).toBe(3600);
  });

  it('outside development mode stops the boot without clients or a signing secret, naming both settings', () => {
    const { auth, done } = read({});
    expect(auth.clients).toEqual([]);
    expect(done).toThrow(/FERRY_X_CLIENTS is not set: outside development mode \(FERRY_DEV_MODE=true\)/);
    expect(done).toThrow(/FERRY_X_SIGNING_SECRET is required/);
  });

  it('outside development mode refuses the development secret and HS256 secrets under 32 bytes', () => {
    const clients = [hs256('erp', DEV_SECRET), hs256('crm', 'short-secret'), hs256('ok', strong)];
    const { done } = read({ FERRY_X_CLIENTS: JSON.stringify(clients), FERRY_X_SIGNING_SECRET: 'x'.repeat(31) });
    expect(done).toThrow(/FERRY_X_CLIENTS\[0\] \(erp\) keys\[0\]\.secret is the public development secret/);
    expect(done).toThrow(
      /FERRY_X_CLIENTS\[1\] \(crm\) keys\[0\]\.secret is 12 bytes: an HS256 secret needs at least 32/,
    );
    expect(done).toThrow(/FERRY_X_SIGNING_SECRET is 31 bytes/);
    expect(done).not.toThrow(/\(ok\)/);
  });

  it('outside development mode starts with its own clients and secrets', () => {
    const { auth, signing, done } = read({
      FERRY_X_CLIENTS: JSON.stringify([hs256('erp', strong)]),
      FERRY_X_SIGNING_SECRET: strong,
    });
    done();
    expect(auth.clients.map((c) => c.clientId)).toEqual(['erp']);
    expect(signing).toBe(strong);
  });

  it('stops the boot for a client without scopes or with bad sources, naming the client', () => {
    const clients = [
      { clientId: 'erp', keys: [{ alg: 'HS256', secret: strong }] },
      { clientId: 'crm', keys: [{ alg: 'HS256', secret: strong }], scopes: [], sources: 'crm' },
    ];
    const { done } = read({ FERRY_X_CLIENTS: JSON.stringify(clients), FERRY_MAX_TOKEN_LIFETIME_SECONDS: '5' });
    expect(done).toThrow(/FERRY_X_CLIENTS\[0\] \(erp\) has no "scopes" list/);
    expect(done).toThrow(/FERRY_X_CLIENTS\[1\] \(crm\) "sources" must be a list/);
    expect(done).toThrow(/FERRY_MAX_TOKEN_LIFETIME_SECONDS must be an integer in \[10, 86400\]/);
  });
});

describe('readRedis', () => {
  it('on a Redis Cluster, stops the boot for a queue prefix that is not a hash tag', () => {
    const nodes = { FERRY_REDIS_CLUSTER_NODES: '127.0.0.1:7101' };
    const check = (env: Record<string, string>) => {
      const reader = new EnvReader(env);
      readRedis(reader);
      return () => reader.done('x');
    };
    expect(check(nodes)).not.toThrow();
    expect(check({ ...nodes, FERRY_QUEUE_PREFIX: '{ferry-eu}' })).not.toThrow();
    expect(check({ ...nodes, FERRY_QUEUE_PREFIX: 'ferry' })).toThrow(
      /FERRY_QUEUE_PREFIX \(ferry\) must start with a hash tag/,
    );
    expect(check({ ...nodes, FERRY_QUEUE_PREFIX: '{}ferry' })).toThrow(/must start with a hash tag/);
    expect(check({ FERRY_QUEUE_PREFIX: 'ferry' })).not.toThrow();
  });
});
