import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, Post } from '@nestjs/common';
import { Audience, Scope } from '#ferry/contracts';
import { commonProvidersFrom, createHttpApp, type HttpApp } from '#ferry/http';
import { call, DEV_SECRET, devToken, type JsonResponse } from '#ferry/testing';
import { adminToken, startTestScheduler, type SchedulerUnderTest, triggerToken } from '../support/scheduler.js';

// Finding 6: nothing answers unless it says who may call it; the documents and metrics go to callers only.

const refused = (res: JsonResponse, status: number, code: string) => {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.error).toEqual({ code, message: expect.any(String), details: expect.any(Array) });
};

let writes = 0;

/** A route someone forgot to decorate, in an app built as the real ones are (guards, filter, bootstrap). */
@Controller('forgotten')
class ForgottenController {
  @Post()
  write() {
    writes += 1;
    return { writes };
  }
}

const CONFIG = Symbol('CONFIG');
const config = {
  auth: {
    audience: Audience.scheduler,
    clients: ['ferry-admin', 'upstream-dev'].map((clientId) => ({
      clientId,
      keys: [{ alg: 'HS256' as const, secret: DEV_SECRET }],
      scopes: ['admin:read', 'admin:write', 'triggers:write'],
    })),
    clockSkewSeconds: 30,
    maxTokenLifetimeSeconds: 3600,
    refusedTokensPerMinute: 60,
  },
  rateLimitPerSecond: 1000,
};

@Module({
  controllers: [ForgottenController],
  providers: [
    { provide: CONFIG, useValue: config },
    { provide: 'DB', useValue: {} },
    ...commonProvidersFrom(CONFIG, (c: typeof config) => c, 'DB'),
  ],
})
class ForgetfulModule {}

describe('a route that declares no scopes', () => {
  let app: HttpApp;
  let url: string;
  beforeAll(async () => {
    app = await createHttpApp(ForgetfulModule, { title: 't', description: 't', bodyLimitBytes: 1024, logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is refused to every caller, an administrator included, and its handler never runs', async () => {
    refused(await call('POST', `${url}/api/v1/forgotten`), 403, 'FORBIDDEN');
    refused(await call('POST', `${url}/api/v1/forgotten`, { token: adminToken() }), 403, 'FORBIDDEN');
    expect(writes).toBe(0);
  });
});

describe('the scheduler documents and metrics', () => {
  let s: SchedulerUnderTest;
  let open: SchedulerUnderTest;
  beforeAll(async () => {
    s = await startTestScheduler('sqlite', { FERRY_METRICS_TOKEN: 'scrape-token' });
    open = await startTestScheduler('sqlite', { FERRY_DOCS_PUBLIC: 'true' });
  });
  afterAll(async () => {
    await s?.close();
    await open?.close();
  });

  it('refuse /docs without a token of this app with a scope, however the path is spelt', async () => {
    const docs = ['/docs', '/docs/', '/docs/openapi.json', '/docs/swagger-ui-bundle.js', '/%64ocs/openapi.json'];
    for (const path of docs) {
      refused(await call('GET', `${s.handle.url}${path}`), 401, 'UNAUTHENTICATED');
      // A token for another app, or one carrying no scope, reads nothing either.
      const forConsumer = devToken(Audience.consumer, [Scope.syncRead]);
      refused(await call('GET', `${s.handle.url}${path}`, { token: forConsumer }), 401, 'UNAUTHENTICATED');
      const noScope = devToken(Audience.scheduler, []);
      refused(await call('GET', `${s.handle.url}${path}`, { token: noScope }), 403, 'FORBIDDEN');
    }
    const doc = await call('GET', `${s.handle.url}/docs/openapi.json`, { token: triggerToken() });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/triggers');
  });

  it('serve /docs openly only where FERRY_DOCS_PUBLIC says so', async () => {
    expect((await call('GET', `${open.handle.url}/docs/openapi.json`)).status).toBe(200);
  });

  it('refuse /metrics without the metrics token, an API token included', async () => {
    refused(await call('GET', `${s.handle.url}/metrics`), 401, 'UNAUTHENTICATED');
    refused(await call('GET', `${s.handle.url}/metrics`, { token: adminToken() }), 401, 'UNAUTHENTICATED');
    expect((await fetch(`${open.handle.url}/metrics`)).status).toBe(404);
  });

  it('leave the health probes answering without a token', async () => {
    expect((await call('GET', `${s.handle.url}/health/live`)).status).toBe(200);
    expect((await call('GET', `${s.handle.url}/health/ready`)).status).toBe(200);
  });
});
