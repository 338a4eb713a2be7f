/**
 * globalOutstandingLimit, Apache 3.8 against zkts: clients pipelining far past the limit are slowed, never
 * refused. Four connections each send 300 creates and then a getChildren in one burst against a limit of
 * 10; each must see every create succeed, in its own order, with zxids rising, and the same children.
 * Requests that are answered to nobody (an expired session's close, a dropped connection's creates) leave
 * the outstanding count `stat` reports, on both.
 */
import { RawClient, decodeBody } from '../src/client/rawClient';
import * as R from '../src/jute/records';
import { OpCode } from '../src/protocol/opCodes';
import { RunningServer, fourLetterWord, startOracle, startZkts } from './lib/servers';

const ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const N = 4;
const PER = 300;

/** Runs `scenario` on Apache 3.8, then on zkts, each started with `cfg` and stopped after; their results. */
async function onEach<T>(cfg: Record<string, string>, scenario: (server: RunningServer) => Promise<T>): Promise<[T, T]> {
  const out: T[] = [];
  for (const start of [startOracle, startZkts]) {
    const server = await start({ cfg });
    try {
      out.push(await scenario(server));
    } finally {
      await server.stop();
    }
  }
  return [out[0], out[1]];
}

async function burst(server: RunningServer): Promise<string[]> {
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < N; i++) clients.push(await RawClient.connect({ host: server.host, port: server.port }));
    expect((await clients[0].request(OpCode.create, R.CreateRequest, { path: '/t', data: null, acl: ACL, flags: 0 })).err).toBe(0);
    const sockets = clients.map((c) => (c as unknown as { socket: import('net').Socket }).socket);
    for (const s of sockets) s.cork();
    const creates = clients.map((c, i) =>
      Array.from({ length: PER }, (_, j) => c.request(OpCode.create, R.CreateRequest, { path: `/t/c${i}-${j}`, data: Buffer.alloc(64, i), acl: ACL, flags: 0 })),
    );
    const lists = clients.map((c) => c.request(OpCode.getChildren, R.PathWatchRequest, { path: '/t', watch: false }));
    for (const s of sockets) s.uncork();
    const out: string[] = [];
    for (let i = 0; i < N; i++) {
      const rs = await Promise.all(creates[i]);
      const zxids = rs.map((r) => r.zxid);
      out.push(`client ${i}: errors ${rs.filter((r) => r.err !== 0).length}, zxids rising ${zxids.every((z, k) => k === 0 || z > zxids[k - 1])}`);
      const l = await lists[i];
      const children = decodeBody(R.GetChildrenResponse, l.body).children;
      // Its own creates all come before its getChildren.
      out.push(`client ${i}: sees all its own ${(children ?? []).filter((c) => c !== null && c.startsWith(`c${i}-`)).length === PER}`);
    }
    for (const c of clients) await c.closeSession();
    return out;
  } finally {
    for (const c of clients) c.destroy();
  }
}

test('four clients pipelining 300 creates each past globalOutstandingLimit=10: all answered in order, alike', async () => {
  const [a, z] = await onEach({ globalOutstandingLimit: '10' }, burst);
  const expected = Array.from({ length: N }, (_, i) => [`client ${i}: errors 0, zxids rising true`, `client ${i}: sees all its own true`]).flat();
  expect(a).toEqual(expected);
  expect(z).toEqual(a);
}, 120_000);

/**
 * Requests the server answers nobody must leave its outstanding count: an expired session's close, and
 * creates still in the pipeline when their connection is dropped. `stat` reports the count.
 */
async function unanswered(server: RunningServer): Promise<string> {
  const expiring = await RawClient.connect({ host: server.host, port: server.port, timeout: 400 });
  expect((await expiring.request(OpCode.create, R.CreateRequest, { path: '/expiring', data: null, acl: ACL, flags: 1 })).err).toBe(0);
  expiring.destroy();
  const gone = await RawClient.connect({ host: server.host, port: server.port });
  const socket = (gone as unknown as { socket: import('net').Socket }).socket;
  socket.cork();
  for (let i = 0; i < 200; i++) void gone.request(OpCode.create, R.CreateRequest, { path: `/gone-${i}`, data: null, acl: ACL, flags: 0 }).catch(() => undefined);
  socket.uncork();
  gone.destroy();
  // The ephemeral's session expires (400 ms, ticks of 200) and its close goes through.
  const watcher = await RawClient.connect({ host: server.host, port: server.port });
  try {
    for (let t = 0; t < 50; t++) {
      if ((await watcher.request(OpCode.exists, R.GetDataRequest, { path: '/expiring', watch: false })).err !== 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const stat = await fourLetterWord(server.host, server.port, 'stat');
    return /\nOutstanding: (\d+)\n/.exec(stat)?.[1] ?? stat;
  } finally {
    await watcher.closeSession();
    watcher.destroy();
  }
}

test("an expired session's close and a dropped connection's creates leave Outstanding at 0, alike", async () => {
  const [a, z] = await onEach({ tickTime: '200' }, unanswered);
  expect(a).toBe('0');
  expect(z).toBe(a);
}, 60_000);
