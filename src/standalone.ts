import * as fs from 'fs';
import { AdminServices } from './admin';
import { ServerConfig } from './config/zooCfg';
import { ZooKeeperServer } from './server/zooKeeperServer';
import { Logger } from './util/logger';

/** ZooKeeperServerMain: a standalone server from a parsed config; resolves once it serves clients. */
export async function runStandalone(config: ServerConfig, log: Logger): Promise<ZooKeeperServer> {
  for (const dir of new Set([config.dataDir, config.dataLogDir])) {
    if (dir !== '') fs.mkdirSync(dir, { recursive: true });
  }
  if (config.ignoredKeys.length > 0) log.debug(`Accepted but not used: ${config.ignoredKeys.join(', ')}`);
  const zks = new ZooKeeperServer(config, { log });
  // The AdminServer and /metrics, if configured, start before the client port (as in Apache); stopping
  // the server stops them.
  const admin = AdminServices.attach(zks, log);
  await admin.start();
  let port: number;
  try {
    port = await zks.start();
  } catch (e) {
    await admin.stop();
    throw e;
  }
  log.info(`zkts serving clients on ${config.clientPortAddress ?? '0.0.0.0'}:${port} (tickTime ${config.tickTime}, sessions ${config.minSessionTimeout}-${config.maxSessionTimeout} ms)`);
  return zks;
}
