import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '#ferry/testing';

/** The name the test server's certificate carries (and nothing else: not 127.0.0.1). */
export const TLS_SERVER_NAME = 'redis.ferry.test';

export interface PrivateRedis {
  port: number;
  /** The TLS port, its certificate signed by `caFile`, a CA made for this server alone. */
  tlsPort: number;
  caFile: string;
  /** The default user, with the server's `requirepass`. */
  admin(db?: number): Redis;
  stop(): Promise<void>;
}

/**
 * A redis-server of a suite's own, on free ports, that asks for a password (and so is no place for other
 * suites' keys): plain TCP and TLS with a private CA made by openssl in a temp folder. Stop it in afterAll.
 */
export async function startPrivateRedis(requirepass: string): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-redis-'));
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', ...ec, '-subj', '/CN=ferry-test-ca', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl(
    'req',
    '-x509',
    ...ec,
    '-subj',
    `/CN=${TLS_SERVER_NAME}`,
    '-addext',
    `subjectAltName=DNS:${TLS_SERVER_NAME}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-keyout',
    file('server.key'),
    '-out',
    file('server.pem'),
  );
  const [port, tlsPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'],
      ...['--maxmemory-policy', 'noeviction', '--requirepass', requirepass],
      ...['--tls-port', String(tlsPort), '--tls-cert-file', file('server.pem'), '--tls-key-file', file('server.key')],
      ...['--tls-ca-cert-file', file('ca.pem'), '--tls-auth-clients', 'no'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const clients: Redis[] = [];
  const connect = (db = 0) =>
    new Redis({ port, password: requirepass, db, lazyConnect: true, retryStrategy: () => null });
  const admin = (db = 0) => {
    const r = connect(db);
    clients.push(r);
    return r;
  };
  // QUIT, not disconnect: ioredis keeps a disconnected socket's 2 s timer until the server closes it
  // (and a client that never connected has ended by itself).
  const quit = async (r: Redis) => {
    if (r.status === 'ready') await r.quit();
    else if (r.status !== 'end') r.disconnect();
  };
  const stop = async () => {
    await Promise.all(clients.map(quit));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const probe = connect();
    const up = await probe.connect().then(
      () => probe.ping().then((p) => p === 'PONG'),
      () => false,
    );
    await quit(probe);
    if (up) break;
    if (child.exitCode !== null || i > 100) {
      await stop();
      throw new Error(`redis-server did not come up: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, tlsPort, caFile: file('ca.pem'), admin, stop };
}
