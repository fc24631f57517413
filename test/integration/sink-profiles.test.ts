import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Audience, Scope } from '#ferry/contracts';
import { type DatasetSpec, demoDatasetSpec } from '#ferry/datasets';
import { DEVELOPMENT_EGRESS_ALLOW, parseEgressAllow } from '#ferry/egress';
import {
  call,
  createTestDatabase,
  devToken,
  FakeRecordApi,
  type FakeScheduler,
  startFakeScheduler,
  type TestDatabase,
} from '#ferry/testing';
import type { SinkConfig } from '../../apps/consumer/src/config.js';
import { sinkFor } from '../../apps/consumer/src/sink/sink-of-thread.js';
import { parseSinkProfiles } from '../../apps/consumer/src/sink/sink-profiles.js';
import type { FileTask } from '../../apps/consumer/src/workers/file-worker.js';
import type { Op } from '../../apps/consumer/src/workers/batch.js';
import { type RunningApp, startProvider } from '../../apps/provider/src/start.js';
import { testProviderConfig } from '../support/apps.js';

// A sink profile's credential goes only to the origins it names: refused when the dataset is saved on the
// provider (422 on sink.url), and again by the consumer before it sends anything. A JWT profile's token
// reaches the partner API and verifies there.

const SECRET = 'sink-jwt-secret-of-at-least-32-bytes!';
const write = devToken(Audience.provider, [Scope.dataWrite]);

function withSink(name: string, sink: NonNullable<DatasetSpec['sink']>): DatasetSpec {
  return { ...demoDatasetSpec(name), sink };
}

describe('a dataset whose sink is outside its profile origins is refused when saved', () => {
  let database: TestDatabase;
  let scheduler: FakeScheduler;
  let provider: RunningApp;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    scheduler = await startFakeScheduler();
    const origins = JSON.stringify({ partner: ['https://partner.example'] });
    provider = await startProvider(
      testProviderConfig(database.config, scheduler.url, { FERRY_PROVIDER_SINK_ORIGINS: origins }),
    );
  });

  afterAll(async () => {
    await provider?.close();
    await scheduler?.close();
    await database?.drop();
  });

  it('answers 422 naming sink.url, and stores nothing; under the origins, or without a profile, it is saved', async () => {
    const post = (spec: DatasetSpec) =>
      call('POST', `${provider.url}/api/v1/datasets`, {
        token: write,
        body: spec as unknown as Record<string, unknown>,
      });
    const outside = await post(
      withSink('sinkaway', { type: 'http', url: 'https://evil.example/records', authProfile: 'partner' }),
    );
    expect(outside.status).toBe(422);
    expect(outside.body.error.details).toEqual([
      {
        path: 'sink.url',
        problem: `auth profile "partner" may not be sent to https://evil.example: it is not among the profile's origins`,
      },
    ]);
    const stored = await call('GET', `${provider.url}/api/v1/datasets/sinkaway`, {
      token: devToken(Audience.provider, [Scope.dataRead]),
    });
    expect(stored.status).toBe(404);

    const inside = await post(
      withSink('sinkhome', { type: 'http', url: 'https://partner.example/v1/records', authProfile: 'partner' }),
    );
    expect(inside.status).toBe(201);
    const keyless = await post(withSink('sinkopen', { type: 'http', url: 'https://anywhere.example/records' }));
    expect(keyless.status).toBe(201);
  });
});

describe('the consumer sends a sink profile only to its origins', () => {
  let api: FakeRecordApi;
  afterEach(() => api?.close());

  function task(profiles: unknown[], development: boolean): FileTask {
    const { profiles: authProfiles, problems } = parseSinkProfiles(JSON.stringify(profiles), development);
    expect(problems).toEqual([]);
    const sinks = { redis: {}, redisPrefix: 'unused:', authProfiles, development } as unknown as SinkConfig;
    return { egress: parseEgressAllow(DEVELOPMENT_EGRESS_ALLOW).config, sinks } as FileTask;
  }

  const upsert: Op = { kind: 'upsert', row: ['c-1', 'Ada'], key: '["c-1"]', position: 1 };
  const jwtProfile = {
    name: 'ledger',
    type: 'jwt',
    alg: 'HS256',
    secret: SECRET,
    issuer: 'ferry-consumer',
    audience: 'ledger-api',
    scopes: ['records:write'],
  };

  it("signs a JWT the partner verifies, under the profile's origins", async () => {
    api = await new FakeRecordApi({
      bearer: { key: SECRET, algorithms: ['HS256'], issuer: 'ferry-consumer', audience: 'ledger-api' },
    }).start();
    const spec = withSink('sinkjwt', { type: 'http', url: api.url, authProfile: 'ledger' });
    const t = task([{ ...jwtProfile, origins: [new URL(api.url).origin] }], false);
    const sent = await sinkFor(spec, t).send('job-1', 0, [upsert]);
    expect(sent).toMatchObject({ inserted: 1, rejected: [] });
    expect(api.requests.map((r) => r.status)).toEqual([200]);
    expect(api.tokens).toHaveLength(1);
    expect(api.tokens[0]).toMatchObject({ iss: 'ferry-consumer', aud: 'ledger-api', scope: 'records:write' });
  });

  it('refuses a URL outside the origins, and a profile without origins outside development mode: nothing sent', async () => {
    api = await new FakeRecordApi().start();
    const spec = withSink('sinkjwt', { type: 'http', url: api.url, authProfile: 'ledger' });
    const elsewhere = task([{ ...jwtProfile, origins: ['https://ledger.example'] }], true);
    expect(() => sinkFor(spec, elsewhere)).toThrow(
      expect.objectContaining({
        code: 'SINK_PROFILE_ORIGIN',
        message: expect.stringContaining(`auth profile "ledger" may not be sent to ${new URL(api.url).origin}`),
      }),
    );
    const unbound = task([jwtProfile], false);
    let refusal: Error | undefined;
    try {
      sinkFor(spec, unbound);
    } catch (err) {
      refusal = err as Error;
    }
    expect(refusal?.message).toMatch(/auth profile "ledger" names no origins/);
    expect(refusal?.message).not.toContain(SECRET);
    expect(api.requests).toEqual([]);
    // In development mode a profile without origins goes anywhere (the tests and the demo rely on it).
    await sinkFor(spec, task([{ ...jwtProfile, secret: 'dev' }], true)).send('job-2', 0, [upsert]);
    expect(api.requests).toHaveLength(1);
  });
});
