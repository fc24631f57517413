import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';

/**
 * The demo needs a Redis: the one on localhost if it answers, else a private redis-server started
 * for the demo's lifetime, else a clear message on how to get one.
 */
export async function ensureRedis(url: string): Promise<{ url: string; stop(): void }> {
  if (await answers(url)) return { url, stop: () => undefined };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      `No Redis answers at ${url} and no redis-server is on PATH.\n` +
        '  Install one (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or run\n' +
        '  docker run -p 6379:6379 redis:7, then run the demo again (or set FERRY_REDIS_URL).',
    );
  }
  const port = 16379;
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await answers(privateUrl)); i++) await new Promise((r) => setTimeout(r, 100));
  console.log(`  started a private redis-server on ${privateUrl}`);
  return { url: privateUrl, stop: () => child.kill() };
}

async function answers(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
