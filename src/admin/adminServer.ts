/**
 * The AdminServer (JettyAdminServer) on Node's http module: GET <commandURL> lists the commands as
 * links, GET <commandURL>/<name>?k=v runs one and answers with its JSON.
 *
 * Settings, as Apache reads them (zoo.cfg `admin.x` is the system property `zookeeper.admin.x`):
 * `admin.enableServer` (Apache's default is true; zkts's is false: set it to true to serve),
 * `admin.serverAddress` (0.0.0.0), `admin.serverPort` (8080), `admin.commandURL` (/commands),
 * `admin.idleTimeout` (30000 ms).
 */
import * as http from 'http';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { Logger } from '../util/logger';
import { primaryNames, runCommand } from './commands';
import { HttpEndpoint } from './httpEndpoint';
import { AdminServerConfig } from './httpConfig';
import { toJackson } from './json';

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Jetty's error page. */
export function errorPage(status: number, message: string, uri: string): string {
  const m = htmlEscape(message);
  return (
    '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n' +
    `<title>Error ${status} ${m}</title>\n</head>\n<body><h2>HTTP ERROR ${status} ${m}</h2>\n<table>\n` +
    `<tr><th>URI:</th><td>${htmlEscape(uri)}</td></tr>\n<tr><th>STATUS:</th><td>${status}</td></tr>\n` +
    `<tr><th>MESSAGE:</th><td>${m}</td></tr>\n</table>\n\n</body>\n</html>\n`
  );
}

export function sendError(res: http.ServerResponse, status: number, message: string, uri: string, head: boolean): void {
  const body = Buffer.from(errorPage(status, message, uri), 'latin1');
  res.writeHead(status, {
    'Cache-Control': 'must-revalidate,no-cache,no-store',
    'Content-Type': 'text/html;charset=iso-8859-1',
    'Content-Length': body.length,
  });
  res.end(head ? undefined : body);
}

/** Percent-decoding as a servlet container decodes a path (a bad escape leaves the path as it is). */
function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

export class AdminServer extends HttpEndpoint {
  constructor(
    private readonly zks: ZooKeeperServer,
    readonly config: AdminServerConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = this.config.idleTimeoutMs;
    server.timeout = this.config.idleTimeoutMs;
    const onError = (e: Error): void => this.log.warn(`AdminServer error: ${e.message}`);
    await this.listen(server, this.config.port, this.config.address, onError).catch((e: Error) => {
      throw new Error(`Problem starting AdminServer on address ${this.config.address}, port ${this.config.port} and command URL ${this.config.commandUrl}: ${e.message}`);
    });
    this.log.info(`Started AdminServer on address ${this.config.address}, port ${this.port} and command URL ${this.config.commandUrl}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.substring(0, q);
    const query = q < 0 ? '' : rawUrl.substring(q + 1);
    const p = decodePath(rawPath);
    const base = this.config.commandUrl.replace(/\/+$/, '');
    const head = req.method === 'HEAD';
    // The servlet is mapped to <commandURL>/*: the URL itself, or anything under it.
    if (p !== base && !p.startsWith(`${base}/`)) {
      sendError(res, 404, 'Not Found', rawPath, head);
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { Allow: 'GET, HEAD, TRACE, OPTIONS', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (req.method === 'TRACE') {
      sendError(res, 403, '!role', rawPath, false);
      return;
    }
    if (req.method !== 'GET' && !head) {
      sendError(res, 405, `HTTP method ${req.method} is not supported by this URL`, rawPath, false);
      return;
    }
    const pathInfo = p.length > base.length ? p.substring(base.length) : null;
    if (pathInfo === null || pathInfo === '/') {
      // No command: links to all of them.
      let body = '';
      for (const name of primaryNames()) body += `<a href="${this.config.commandUrl}/${name}">${name}</a>\n<br/>\n`;
      const buf = Buffer.from(body, 'latin1');
      res.writeHead(200, { 'Content-Length': buf.length });
      res.end(head ? undefined : buf);
      return;
    }
    const cmd = pathInfo.substring(1);
    // Request parameters: the first value of each.
    const kwargs = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(query)) if (!kwargs.has(k)) kwargs.set(k, v);
    let body: Buffer;
    try {
      body = Buffer.from(toJackson(runCommand(this.zks, cmd, kwargs).toMap()), 'utf8');
    } catch (e) {
      this.log.warn(`Exception writing command response to JSON: ${(e as Error).message}`);
      body = Buffer.from('{"error": "Exception writing command response to JSON"}', 'utf8');
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(head ? undefined : body);
  }
}
