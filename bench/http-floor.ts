import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';

/**
 * The machine's HTTP floor, as in docs/architecture.md's table ("HTTP keep-alive POST, Node → Node, 16 in
 * flight": 17,000 req/s on a quiet machine): undici to a plain node:http server in another process,
 * with a sync request's body. A shared machine's speed moves by half or double between runs; this
 * tells which phase a lifecycle result was measured in.
 */
export async function httpFloor(n = 20_000): Promise<{ perSecond: number; cpuUsPerRequest: number }> {
  const server = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((r) => server.once('message', (m) => r((m as { port: number }).port)));
  const serverCpu = () =>
    new Promise<number>((r) => {
      server.once('message', (m) => r((m as { cpuUs: number }).cpuUs));
      server.send('cpu');
    });
  const agent = new Agent({ connections: 16 });
  const body = JSON.stringify({
    taskRunId: 'a'.repeat(36),
    dispatchId: 'b'.repeat(36),
    callbackUrl: `http://127.0.0.1:1/api/v1/callbacks/tasks/${'a'.repeat(36)}`,
    files: [{ name: 'f.ndjson', dataset: 'bench', fileId: 'f', recordCount: 0 }],
  });
  const post = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const res = await request(`http://127.0.0.1:${port}/api/v1/sync-jobs`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'idempotency-key': `k${i}` },
        body,
      });
      await res.body.json();
    }
  };
  try {
    await Promise.all(Array.from({ length: 16 }, () => post(200))); // warm-up
    const cpu0 = process.cpuUsage();
    const server0 = await serverCpu();
    const started = performance.now();
    await Promise.all(Array.from({ length: 16 }, () => post(Math.ceil(n / 16))));
    const seconds = (performance.now() - started) / 1000;
    const client = process.cpuUsage(cpu0);
    const serverUs = (await serverCpu()) - server0;
    return { perSecond: n / seconds, cpuUsPerRequest: (client.user + client.system + serverUs) / n };
  } finally {
    await agent.close();
    server.kill();
  }
}

if (process.argv[2] === 'serve') {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString());
      const out = JSON.stringify({ jobId: 'j', status: 'ACCEPTED' });
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
    });
  });
  s.keepAliveTimeout = 30_000;
  s.listen(0, '127.0.0.1', () => process.send?.({ port: (s.address() as AddressInfo).port }));
  process.on('message', () => {
    const u = process.cpuUsage();
    process.send?.({ cpuUs: u.user + u.system });
  });
  process.on('disconnect', () => process.exit(0));
}
