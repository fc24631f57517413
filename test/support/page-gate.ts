import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

/** One file's reading, as the proxy saw it: its first page asked for, its last page answered (ms). */
export interface FileReading {
  start: number;
  end: number;
}

const RECORDS = /^\/api\/v1\/datasets\/([^/]+)\/files\/([^/?]+)\/records/;

/**
 * An HTTP proxy between the consumer and the provider that holds every file's first page of records
 * until `files` files have asked for theirs. A consumer that reads fewer files at once never gets past
 * it; one that reads them all at once goes through, and each file's reading is recorded.
 */
export class PageGate {
  readonly readings = new Map<string, FileReading>();
  private readonly agent = new Agent({ connections: 64 });
  private readonly held: Array<() => void> = [];
  private server?: Server;
  url = '';

  constructor(
    private readonly providerUrl: string,
    private readonly files: number,
  ) {}

  get open(): boolean {
    return this.readings.size >= this.files;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on(
        'end',
        () =>
          void this.forward(req.method!, req.url!, req.headers, Buffer.concat(chunks)).then(
            ({ status, headers, body }) => res.writeHead(status, headers).end(body),
            (err: Error) => res.writeHead(502).end(err.message),
          ),
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.held.splice(0).forEach((go) => go());
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
    await this.agent.close();
  }

  private async forward(method: string, url: string, headers: NodeJS.Dict<string | string[]>, body: Buffer) {
    const m = RECORDS.exec(url);
    const file = m ? `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}` : undefined;
    if (file && !this.readings.has(file)) {
      this.readings.set(file, { start: Date.now(), end: Number.POSITIVE_INFINITY });
      if (this.open) this.held.splice(0).forEach((go) => go());
      else await new Promise<void>((go) => this.held.push(go));
    }
    const { host: _host, connection: _connection, ...rest } = headers;
    const res = await request(this.providerUrl + url, {
      method: method as 'GET',
      headers: rest as Record<string, string>,
      body: body.length ? body : undefined,
      dispatcher: this.agent,
    });
    const out = Buffer.from(await res.body.arrayBuffer());
    if (file) this.readings.get(file)!.end = Date.now();
    const { 'transfer-encoding': _te, connection: _conn, ...back } = res.headers;
    return { status: res.statusCode, headers: back as Record<string, string>, body: out };
  }
}
