import { readFileSync } from 'node:fs';
import type { RedisConnectionConfig, RedisNode } from '#ferry/queue';
import type { EnvReader } from './env.js';

const FORM = 'redis[s]://[[user]:password@]host[:port][/db]';

/**
 * FERRY_REDIS_URL with FERRY_REDIS_CA_FILE and FERRY_REDIS_SERVER_NAME, and FERRY_REDIS_CLUSTER_NODES
 * for a Redis Cluster, as one connection description.
 * No problem quotes the URL: it may carry a password, and boot errors end up in logs.
 */
export function readRedisConnection(env: EnvReader): RedisConnectionConfig {
  const single = readSingle(env);
  const nodes = env.optional('FERRY_REDIS_CLUSTER_NODES');
  if (nodes === undefined) return single;
  const cluster = parseClusterNodes(nodes);
  if (typeof cluster === 'string') {
    env.problem(`FERRY_REDIS_CLUSTER_NODES ${cluster} (expected host:port,host:port,...)`);
    return single;
  }
  if (single.db !== 0)
    env.problem(
      'FERRY_REDIS_URL names a database other than 0, but a Redis Cluster (FERRY_REDIS_CLUSTER_NODES) has only 0',
    );
  return { ...single, cluster };
}

/**
 * The seed nodes of a Redis Cluster ("host:port,host:port", an IPv6 host in brackets), or what is
 * wrong with them. The client learns the other nodes from any one that answers.
 */
export function parseClusterNodes(raw: string): RedisNode[] | string {
  const nodes: RedisNode[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(item);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) return `has "${item}", which is not host:port`;
    nodes.push({ host: m[1].replace(/^\[(.*)\]$/, '$1'), port });
  }
  return nodes;
}

function readSingle(env: EnvReader): RedisConnectionConfig {
  const raw = env.str('FERRY_REDIS_URL', 'redis://127.0.0.1:6379');
  const caFile = env.optional('FERRY_REDIS_CA_FILE');
  const serverName = env.optional('FERRY_REDIS_SERVER_NAME');
  const parsed = parseRedisUrl(raw);
  if (typeof parsed === 'string') {
    env.problem(`FERRY_REDIS_URL ${parsed} (expected ${FORM})`);
    return { host: '127.0.0.1', port: 6379, db: 0 };
  }
  if (!parsed.tls) {
    for (const [name, value] of [
      ['FERRY_REDIS_CA_FILE', caFile],
      ['FERRY_REDIS_SERVER_NAME', serverName],
    ] as const)
      if (value) env.problem(`${name} is set but FERRY_REDIS_URL is not rediss://: the connection would not use TLS`);
    return parsed;
  }
  const ca = caFile === undefined ? undefined : readCa(env, caFile);
  return { ...parsed, tls: { ...(ca ? { ca } : {}), ...(serverName ? { serverName } : {}) } };
}

/** The connection a Redis URL names, or what is wrong with it (never quoting it). */
export function parseRedisUrl(raw: string): RedisConnectionConfig | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return 'must start with redis:// or rediss://';
  if (!url.hostname) return 'has no host';
  if (url.search || url.hash)
    return 'takes no query parameters: TLS comes from rediss:// with FERRY_REDIS_CA_FILE and FERRY_REDIS_SERVER_NAME';
  const db = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1);
  if (!/^\d{1,5}$/.test(db)) return 'has a path that is not a database number';
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return 'has a user or password that is not percent-encoded properly';
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 6379,
    db: Number(db),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

function readCa(env: EnvReader, file: string): string | undefined {
  try {
    const pem = readFileSync(file, 'utf8');
    if (pem.includes('-----BEGIN CERTIFICATE-----')) return pem;
    env.problem(`FERRY_REDIS_CA_FILE (${file}) holds no PEM certificate`);
  } catch (err) {
    env.problem(`FERRY_REDIS_CA_FILE (${file}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return undefined;
}
