import * as fs from 'fs';
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
  const port = await zks.start();
  log.info(`zkts serving clients on ${config.clientPortAddress ?? '0.0.0.0'}:${port} (tickTime ${config.tickTime}, sessions ${config.minSessionTimeout}-${config.maxSessionTimeout} ms)`);
  return zks;
}
