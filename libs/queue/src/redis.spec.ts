import { describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import { closeWorkerConnection, workerConnection } from './redis.js';

describe('workerConnection', () => {
  it('carries the user, password, database and TLS settings, and never gives up on a blocked command', () => {
    const options = workerConnection({
      host: 'redis.internal',
      port: 6390,
      db: 2,
      username: 'ferry',
      password: 'pw',
      tls: { ca: 'PEM', serverName: 'redis.ferry.test' },
    });
    expect(options).toMatchObject({
      host: 'redis.internal',
      port: 6390,
      db: 2,
      username: 'ferry',
      password: 'pw',
      tls: { ca: 'PEM', servername: 'redis.ferry.test' },
      maxRetriesPerRequest: null,
    });
    expect(options).not.toHaveProperty('url');
  });

  it('leaves TLS off, and Node the server name, unless asked', () => {
    expect(workerConnection({ host: 'h', port: 6379, db: 0 })).not.toHaveProperty('tls');
    expect(workerConnection({ host: 'h', port: 6379, db: 0, tls: {} })).toHaveProperty('tls', {});
  });

  it('is a cluster client for a cluster, connecting only when BullMQ first uses it, never giving up either', () => {
    const cluster = workerConnection({
      host: '',
      port: 0,
      db: 0,
      password: 'pw',
      cluster: [{ host: 'h', port: 7000 }],
    });
    expect(cluster).toBeInstanceOf(Cluster);
    const c = cluster as Cluster;
    expect(c.status).toBe('wait');
    expect(c.options.redisOptions).toMatchObject({ password: 'pw', maxRetriesPerRequest: null });
    closeWorkerConnection(c);
    expect(c.status).toBe('end');
  });
});
