import { RawClient } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';

describe('globalOutstandingLimit', () => {
  test('a client far past the limit is paused, not refused: every request is answered, in order', async () => {
    const ts = await TestingServer.start({ config: { globalOutstandingLimit: 10 } });
    try {
      const c = await RawClient.connect({ port: ts.port });
      let maxOutstanding = 0;
      const orig = ts.server.submitRequest.bind(ts.server);
      ts.server.submitRequest = (r) => {
        orig(r);
        maxOutstanding = Math.max(maxOutstanding, ts.server.outstandingRequests);
      };
      const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) => c.request(OpCode.create, R.CreateRequest, { path: `/t${i}`, data: null, acl, flags: 0 })),
      );
      expect(replies.every((r) => r.err === 0)).toBe(true);
      const zxids = replies.map((r) => r.zxid);
      expect(zxids).toEqual([...zxids].sort((a, b) => a - b));
      // Reading stops once the limit is reached; frames already read in the same chunk may still
      // pass it, but not by the whole burst.
      expect(maxOutstanding).toBeLessThan(300);
      await c.closeSession();
    } finally {
      await ts.stop();
    }
  });
});
