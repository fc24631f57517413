import type { Agent } from 'undici';
import type { DatasetSpec } from '#ferry/datasets';
import { TokenCache } from '#ferry/auth';
import { EgressGuard, profileAllows, profileRefusal } from '#ferry/egress';
import { createRedis, type RedisClient } from '#ferry/queue';
import type { FileTask } from '../workers/file-worker.js';
import { HttpRecordSink, SinkUnavailable } from './http-sink.js';
import { SinkCredentials } from './sink-credentials.js';
import { RedisSinkLimiter, UNLIMITED } from './sink-limiter.js';

// Per worker thread, made on the first sink dataset it loads: one keep-alive agent through the egress
// guard, and one Redis connection for the shared rate limits.
let agent: Agent | undefined;
let redis: RedisClient | undefined;
const tokens = new TokenCache(60);

/** The dataset's sink URL is outside its auth profile's origins: the file fails before anything is sent. */
export class SinkProfileRefused extends SinkUnavailable {
  override readonly code = 'SINK_PROFILE_ORIGIN';
}

/** The sink a worker thread sends a dataset's records through. */
export function sinkFor(spec: DatasetSpec, task: FileTask): HttpRecordSink {
  const sink = spec.sink!;
  const config = task.sinks;
  if (!config)
    throw new SinkUnavailable(`Dataset ${spec.name} has a record sink but this consumer has no sink settings`);
  let credentials: SinkCredentials | undefined;
  if (sink.authProfile) {
    const profile = config.authProfiles[sink.authProfile];
    if (!profile)
      throw new SinkUnavailable(
        `Dataset ${spec.name}'s sink names auth profile ${sink.authProfile}, which FERRY_CONSUMER_SINK_PROFILES lacks`,
      );
    // Checked again here, not only when the dataset was saved: the provider's view of origins may differ.
    if (!profileAllows(profile.origins, sink.url, config.development))
      throw new SinkProfileRefused(
        `Dataset ${spec.name}: ${profileRefusal(profile.name, profile.origins, sink.url)}; nothing was sent`,
      );
    credentials = new SinkCredentials(profile, tokens);
  }
  agent ??= new EgressGuard(task.egress).agent({ keepAliveTimeout: 30_000, connections: 32 });
  if (sink.ratePerSecond) redis ??= createRedis(config.redis, 'producer');
  const limiter = redis && sink.ratePerSecond ? new RedisSinkLimiter(redis, config.redisPrefix) : UNLIMITED;
  return new HttpRecordSink(spec, {
    dispatcher: agent,
    limiter,
    credentials: credentials && (() => credentials.headers()),
  });
}
