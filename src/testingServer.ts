import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AdminServices } from './admin';
import { defaultConfig, ServerConfig } from './config/zooCfg';
import { ZooKeeperServer } from './server/zooKeeperServer';
import { Logger } from './util/logger';

export interface TestingServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  tickTime?: number;
  /** Extra settings, as zoo.cfg keys would set them. */
  config?: Partial<ServerConfig>;
  log?: Logger;
}

/**
 * An in-process server for test suites (the Node counterpart of Curator's TestingServer): a free
 * loopback port, a temporary data directory, and a connect string.
 */
export class TestingServer {
  readonly server: ZooKeeperServer;
  readonly dataDir: string;
  /** The AdminServer and /metrics endpoint (when the config enables them). */
  readonly admin: AdminServices;
  private readonly host: string;

  private constructor(server: ZooKeeperServer, dataDir: string, host: string, admin: AdminServices) {
    this.server = server;
    this.dataDir = dataDir;
    this.host = host;
    this.admin = admin;
  }

  static async start(opts: TestingServerOptions = {}): Promise<TestingServer> {
    const host = opts.host ?? '127.0.0.1';
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-test-'));
    const config = defaultConfig({
      clientPort: opts.port ?? 0,
      clientPortAddress: host,
      dataDir,
      dataLogDir: dataDir,
      ...(opts.tickTime !== undefined ? { tickTime: opts.tickTime } : {}),
      ...opts.config,
    });
    const server = new ZooKeeperServer(config, { log: opts.log });
    const admin = AdminServices.attach(server);
    await admin.start();
    try {
      await server.start();
    } catch (e) {
      await admin.stop();
      throw e;
    }
    return new TestingServer(server, dataDir, host, admin);
  }

  get port(): number {
    return this.server.port;
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.admin.stop();
    await this.server.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
