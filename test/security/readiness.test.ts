import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, createTestDatabase, TcpProxy, type TestDatabase } from '#ferry/testing';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { testProviderConfig } from '../support/apps.js';

// Finding 6: readiness answers anyone, so a failed check names the dependency and nothing the driver said
// (hosts, ports, users, versions are what an attacker maps a network with).

describe('readiness with the database gone (PostgreSQL behind a proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let provider: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    proxy = await new TcpProxy('127.0.0.1', Number(new URL(db.config.url).port || 5432)).start();
    const config = testProviderConfig({ ...db.config, url: proxy.via(db.config.url) }, 'http://127.0.0.1:9');
    provider = await startProvider(config);
  });
  afterAll(async () => {
    await proxy?.restore();
    await provider?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('answers 503 naming "database" and no driver text; liveness is unaffected', async () => {
    expect((await call('GET', `${provider.url}/health/ready`)).status).toBe(200);
    await proxy.cut();
    const res = await call('GET', `${provider.url}/health/ready`);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: {
        code: 'UNAVAILABLE',
        message: 'Not ready: database down',
        details: [{ path: 'database', problem: 'down' }],
      },
    });
    const text = JSON.stringify(res.body);
    for (const leak of ['ECONNREFUSED', 'connect', 'terminated', '127.0.0.1', String(proxy.port), 'postgres'])
      expect(text).not.toContain(leak);
    expect((await call('GET', `${provider.url}/health/live`)).status).toBe(200);
    await proxy.restore();
  });
});
