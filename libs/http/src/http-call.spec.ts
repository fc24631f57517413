import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { httpCall, ResponseTooLargeError } from './http-call.js';

describe('httpCall', () => {
  let server: Server;
  let base = '';
  const agent = new Agent({ connections: 2 });

  beforeAll(async () => {
    // /sized/N answers N bytes with a content-length; /chunked/N the same without one.
    server = createServer((req, res) => {
      const [, how, n] = /^\/(sized|chunked)\/(\d+)$/.exec(req.url ?? '') ?? [];
      const body = 'x'.repeat(Number(n ?? 0));
      if (how === 'sized') res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
      else {
        res.writeHead(200);
        for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.slice(i, i + 64 * 1024));
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('reads an answer up to the cap whole', async () => {
    const res = await httpCall(agent, `${base}/chunked/1000`, { method: 'GET', maxBytes: 1000 });
    expect({ status: res.status, length: res.text.length }).toEqual({ status: 200, length: 1000 });
  });

  it.each(['sized', 'chunked'])('aborts a %s answer over the cap with an error naming it', async (how) => {
    const call = httpCall(agent, `${base}/${how}/${300 * 1024}`, { method: 'GET', maxBytes: 100 * 1024 });
    await expect(call).rejects.toBeInstanceOf(ResponseTooLargeError);
    await expect(call).rejects.toThrow('102400-byte limit');
    // The dispatcher is fine afterwards.
    expect((await httpCall(agent, `${base}/sized/10`, { method: 'GET' })).text).toBe('x'.repeat(10));
  });

  it('caps at 1 MiB by default', async () => {
    await expect(httpCall(agent, `${base}/chunked/${1024 * 1024 + 1}`, { method: 'GET' })).rejects.toThrow(
      '1048576-byte limit',
    );
  });
});
