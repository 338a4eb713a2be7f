/**
 * The HTTP listener under the AdminServer and the /metrics endpoint: listens on an address, keeps the
 * open connections, and on stop closes the listener and every connection at once (as Jetty does),
 * rather than waiting for keep-alive connections to time out.
 */
import * as http from 'http';
import * as net from 'net';

export abstract class HttpEndpoint {
  private server: http.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  /** The port listened on (the one asked for, or the one picked for port 0); 0 when not listening. */
  get port(): number {
    const a = this.server?.address();
    return a !== null && a !== undefined && typeof a === 'object' ? a.port : 0;
  }

  /**
   * Listens with `server` on host:port. Rejects with the listen error as it is; once listening,
   * later server errors go to `onError`.
   */
  protected async listen(server: http.Server, port: number, host: string, onError: (e: Error) => void): Promise<void> {
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', onError);
    this.server = server;
  }

  /** Closes the listener and destroys the open connections; resolves once the server has closed. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}
