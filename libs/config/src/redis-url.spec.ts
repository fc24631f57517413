import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvReader } from './env.js';
import { parseClusterNodes, parseRedisUrl, readRedisConnection } from './redis-url.js';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  const connection = readRedisConnection(reader);
  return { connection, done: () => reader.done('x') };
};

describe('parseRedisUrl', () => {
  it('takes the user, the password (percent-decoded), the port and the database number', () => {
    expect(parseRedisUrl('redis://ferry:p%40ss%3Aw0rd@redis.internal:6380/3')).toEqual({
      host: 'redis.internal',
      port: 6380,
      db: 3,
      username: 'ferry',
      password: 'p@ss:w0rd',
    });
  });

  it('defaults to port 6379 and database 0; a password alone authenticates as the default user', () => {
    expect(parseRedisUrl('redis://:secret@127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      password: 'secret',
    });
    expect(parseRedisUrl('redis://[::1]:7000/')).toEqual({ host: '::1', port: 7000, db: 0 });
  });

  it('turns TLS on for rediss://', () => {
    expect(parseRedisUrl('rediss://u:p@cache.example:6390/1')).toMatchObject({ tls: {}, port: 6390, db: 1 });
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['http://127.0.0.1:6379', 'must start with redis:// or rediss://'],
    ['redis://127.0.0.1:6379/zero', 'has a path that is not a database number'],
    ['redis://127.0.0.1:6379/0?tls=true', 'takes no query parameters'],
    ['redis://u:%E0%A4%A@127.0.0.1', 'is not percent-encoded properly'],
  ])('refuses %s', (url, problem) => {
    expect(parseRedisUrl(url)).toContain(problem);
  });
});

describe('readRedisConnection', () => {
  it('stops the boot for a bad URL without quoting it (it may carry a password)', () => {
    const { done } = read({ FERRY_REDIS_URL: 'redis://ferry:hunter2@host:6379/db?x=1' });
    expect(done).toThrow(/FERRY_REDIS_URL takes no query parameters/);
    expect(done).not.toThrow(/hunter2/);
  });

  it('reads the CA file and the server name for rediss://', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-redis-ca-'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'ca.pem'), pem);
    const { connection, done } = read({
      FERRY_REDIS_URL: 'rediss://ferry:pw@127.0.0.1:6390',
      FERRY_REDIS_CA_FILE: join(dir, 'ca.pem'),
      FERRY_REDIS_SERVER_NAME: 'redis.ferry.test',
    });
    done();
    expect(connection.tls).toEqual({ ca: pem, serverName: 'redis.ferry.test' });
  });

  it('stops the boot for a CA file it cannot read, or TLS settings on a redis:// URL', () => {
    expect(read({ FERRY_REDIS_URL: 'rediss://h', FERRY_REDIS_CA_FILE: '/nonexistent/ca.pem' }).done).toThrow(
      /FERRY_REDIS_CA_FILE \(\/nonexistent\/ca.pem\) cannot be read: ENOENT/,
    );
    expect(read({ FERRY_REDIS_URL: 'redis://h', FERRY_REDIS_SERVER_NAME: 'h' }).done).toThrow(
      /FERRY_REDIS_SERVER_NAME is set but FERRY_REDIS_URL is not rediss:\/\//,
    );
  });

  it("makes a cluster connection of FERRY_REDIS_CLUSTER_NODES, with the URL's user, password and TLS", () => {
    const { connection, done } = read({
      FERRY_REDIS_URL: 'rediss://ferry:pw@ignored:1',
      FERRY_REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002',
    });
    done();
    expect(connection).toMatchObject({ username: 'ferry', password: 'pw', db: 0, tls: {} });
    expect(connection.cluster).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(read({}).connection).not.toHaveProperty('cluster');
  });

  it('stops the boot for a node that is not host:port, or a database other than 0 on a cluster', () => {
    expect(read({ FERRY_REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1' }).done).toThrow(
      /FERRY_REDIS_CLUSTER_NODES has "127.0.0.1", which is not host:port/,
    );
    expect(read({ FERRY_REDIS_URL: 'redis://h/2', FERRY_REDIS_CLUSTER_NODES: 'h:7000' }).done).toThrow(
      /a Redis Cluster \(FERRY_REDIS_CLUSTER_NODES\) has only 0/,
    );
  });
});

describe('parseClusterNodes', () => {
  it.each(['', 'h:0', 'h:70000', 'redis://h:7000', 'h:7000,,h:7001'])('refuses %j', (raw) => {
    expect(typeof parseClusterNodes(raw)).toBe('string');
  });
});
