export { ZooKeeperServer } from './server/zooKeeperServer';
export { loadConfigFile, buildConfig, defaultConfig, ConfigError } from './config/zooCfg';
export type { ServerConfig } from './config/zooCfg';
export { TestingServer } from './testingServer';
export type { TestingServerOptions } from './testingServer';
export * as jute from './jute';
export { OpCode } from './protocol/opCodes';
export { Code, KeeperException } from './protocol/errors';
