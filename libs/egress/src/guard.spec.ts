import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { parseEgressAllow } from './config.js';
import { EGRESS_REFUSED, EgressGuard } from './guard.js';

// The guard's agent against a real server on loopback; DNS answers are swapped in where a test needs
// a name that resolves somewhere in particular.
describe('EgressGuard', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  const agents: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const guard = (allow: string, resolve?: ConstructorParameters<typeof EgressGuard>[1]) => {
    const g = new EgressGuard(parseEgressAllow(allow).config, resolve);
    const agent = g.agent();
    agents.push(agent);
    return (host: string) => request(`http://${host}:${port}/`, { dispatcher: agent }).then((r) => r.body.text());
  };
  const refusedWith = async (call: Promise<unknown>) => {
    const err = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; message?: string };
    expect(err?.code).toBe(EGRESS_REFUSED);
    return err.message!;
  };

  it('refuses an IP literal and a name resolving to loopback, naming the host and not the allow-list', async () => {
    const get = guard('10.9.0.0/16,ledger.corp');
    const before = hits;
    expect(await refusedWith(get('127.0.0.1'))).toBe(
      'The egress guard refused 127.0.0.1: a loopback address, not called unless FERRY_EGRESS_ALLOW opens it',
    );
    expect(await refusedWith(get('[::ffff:127.0.0.1]'))).toMatch(/refused ::ffff:7f00:1: a loopback address/);
    // Other spellings of an address are the same address once the URL is parsed.
    for (const spelling of ['2130706433', '127.1', '0x7f.0.0.1', '[0:0:0:0:0:0:0:1]'])
      expect(await refusedWith(get(spelling))).toMatch(/: a loopback address/);
    const message = await refusedWith(get('localhost'));
    expect(message).toMatch(/^The egress guard refused localhost: it resolves only to loopback addresses/);
    expect(message).not.toMatch(/10\.9|ledger/);
    expect(hits).toBe(before);
  });

  it('calls an allowed range, and keeps the connection for the next call', async () => {
    const connections = new Set<unknown>();
    const onConnection = (socket: unknown) => connections.add(socket);
    server.on('connection', onConnection);
    const get = guard('127.0.0.1/32');
    for (let i = 0; i < 3; i++) {
      expect(await get('127.0.0.1')).toBe('ok');
      // The connection goes back to the pool once the answer is complete, a moment after its body is read.
      await new Promise((r) => setTimeout(r, 20));
    }
    server.off('connection', onConnection);
    expect(connections.size).toBe(1);
  });

  it('calls a host name allowed by name whatever it resolves to, and names under an allowed suffix', async () => {
    expect(await guard('localhost')('localhost')).toBe('ok');
    const resolve = (_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }]);
    expect(await guard('*.svc.test', resolve)('ledger.svc.test')).toBe('ok');
    await refusedWith(guard('*.svc.test', resolve)('svc.test.evil'));
  });

  it('drops the refused addresses DNS answers and connects to an allowed one; none left, it refuses', async () => {
    const answers: Record<string, Array<{ address: string; family: number }>> = {
      'mixed.test': [
        { address: '169.254.169.254', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
      'metadata.test': [
        { address: '169.254.169.254', family: 4 },
        { address: 'fe80::1', family: 6 },
      ],
    };
    const resolve = (host: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, answers[host]);
    const get = guard('127.0.0.1', resolve);
    expect(await get('mixed.test')).toBe('ok');
    expect(await refusedWith(get('metadata.test'))).toMatch(/metadata\.test: it resolves only to link-local addresses/);
  });

  it('asks DNS again for each new connection: a name that turns to a refused address is refused', async () => {
    let address = '127.0.0.1';
    const resolve = (_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, [{ address, family: 4 }]);
    const g = new EgressGuard(parseEgressAllow('127.0.0.1').config, resolve);
    const agent = g.agent({ pipelining: 0 });
    agents.push(agent);
    const get = () =>
      request(`http://rebind.test:${port}/`, { dispatcher: agent, reset: true }).then((r) => r.body.text());
    expect(await get()).toBe('ok');
    address = '127.0.0.2';
    await refusedWith(get());
  });
});
