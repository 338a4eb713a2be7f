/** The Apache ZooKeeper release whose protocol zkts speaks, and zkts's own version. */
export const ZOOKEEPER_VERSION = '3.8.0';
export const ZKTS_VERSION = '0.1.0';
/** What srvr/stat/mntr print as the version: Apache's format, so tools that parse it keep working. */
export const VERSION_STRING = `${ZOOKEEPER_VERSION}-zkts-${ZKTS_VERSION}, built on 2026-11-26 00:00 UTC`;
