import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A TCP proxy in front of a shared service (a broker other suites use too): cutting it shows a client what a
 * restart of the service looks like, every connection dropped and new ones refused for a while, without
 * touching the service itself.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  /** Connections refused since the last cut. */
  refused = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
  }

  /** Listens on a free port of 127.0.0.1 and forwards each connection to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy({ host, port }, (server.address() as { port: number }).port, server);
    server.on('connection', (client) => proxy.forward(client));
    return proxy;
  }

  /** Connections now open through the proxy. */
  get open(): number {
    return this.sockets.size / 2;
  }

  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void {
    this.refusing = true;
    this.refused = 0;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    if (this.refusing) {
      this.refused++;
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair = [client, upstream];
    for (const s of pair) {
      this.sockets.add(s);
      // Either side closing closes the other: the client sees what it would see if the service went away.
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        for (const other of pair) other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
