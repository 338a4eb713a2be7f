/**
 * Example: zkts as the ZooKeeper of a Node test suite (the counterpart of Curator's TestingServer).
 * `import { TestingServer } from 'zkts'` starts an in-process server on a free loopback port with a
 * temporary data directory; point any client at `connectString`.
 */
import { TestingServer } from 'zkts';
// node-zookeeper-client has no type declarations.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const zookeeper = require('node-zookeeper-client');

describe('an application that keeps its config in ZooKeeper', () => {
  let server: TestingServer;
  let client: any;

  beforeAll(async () => {
    server = await TestingServer.start();
    client = zookeeper.createClient(server.connectString, { sessionTimeout: 10000 });
    await new Promise<void>((resolve) => {
      client.once('connected', () => resolve());
      client.connect();
    });
  });

  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('reads back what it wrote', async () => {
    await new Promise<void>((resolve, reject) =>
      client.create('/app-config', Buffer.from('{"feature":true}'), (e: Error | null) => (e ? reject(e) : resolve())),
    );
    const data = await new Promise<Buffer>((resolve, reject) => client.getData('/app-config', (e: Error | null, d: Buffer) => (e ? reject(e) : resolve(d))));
    expect(JSON.parse(data.toString())).toEqual({ feature: true });
  });

  test('the server starts fresh for every suite, on its own port', async () => {
    const other = await TestingServer.start();
    try {
      expect(other.port).not.toBe(server.port);
      expect(other.server.dataTree.getNode('/app-config')).toBeUndefined();
    } finally {
      await other.stop();
    }
  });
});
