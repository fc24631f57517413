import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server that records every JSON POST by path; `failNext` answers the next N with a status. */
export class WebhookReceiver {
  readonly received: Array<{ path: string; body: any; at: number }> = [];
  failNext: { count: number; status: number } = { count: 0, status: 503 };
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.failNext.count > 0) {
          this.failNext.count--;
          res.writeHead(this.failNext.status).end();
          return;
        }
        this.received.push({
          path: req.url ?? '/',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
          at: Date.now(),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  on(path: string): Array<{ path: string; body: any; at: number }> {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
