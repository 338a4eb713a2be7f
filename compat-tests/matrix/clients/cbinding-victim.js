'use strict';
/**
 * A C-client process to crash: `node cbinding-victim.js HOST:PORT TIMEOUT_MS PATH...`.
 * Connects with the `zookeeper` npm package (node binding of the ZooKeeper C client), creates
 * each PATH as an ephemeral node, prints "READY <sessionId>" and waits to be SIGKILLed. Exits
 * when its parent goes away (stdin EOF).
 */
const ZooKeeper = require('zookeeper');

const [hosts, timeout, ...paths] = process.argv.slice(2);
const zk = new ZooKeeper({
  connect: hosts,
  timeout: Number(timeout),
  debug_level: ZooKeeper.constants.ZOO_LOG_LEVEL_ERROR,
  host_order_deterministic: false,
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
zk.on('connect', async () => {
  try {
    for (const p of paths) await zk.create(p, 'victim', ZooKeeper.constants.ZOO_EPHEMERAL);
    process.stdout.write(`READY ${zk.client_id}\n`);
  } catch (e) {
    process.stdout.write(`ERROR ${e && e.message}\n`);
  }
});
zk.init({});
