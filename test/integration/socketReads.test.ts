import * as net from 'net';
import { ownBytes, readChunks } from '../../src/server/socketReads';

/** A loopback server whose accepted sockets are handed to `onSocket`. */
async function listen(onSocket: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as net.AddressInfo).port };
}

function connect(port: number, socket = new net.Socket()): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => resolve(socket));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** Deterministic bytes, different for every client. */
function payload(seed: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const waitFor = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('readChunks', () => {
  test('accepted sockets read into the shared buffer; chunks kept by the reader stay intact while later reads arrive', async () => {
    const kept = new Map<number, Buffer[]>();
    const modes: boolean[] = [];
    let next = 0;
    const { server, port } = await listen((s) => {
      const id = next++;
      kept.set(id, []);
      modes.push(readChunks(s, (c) => kept.get(id)!.push(c)));
    });
    const sizes = [1, 7, 4096, 65536 + 3, 200_000, 13];
    const total = sizes.reduce((a, b) => a + b, 0);
    const clients = await Promise.all([0, 1, 2, 3].map(() => connect(port)));
    const sent = clients.map((_, i) => payload(i + 1, total));
    // Interleaved, in pieces of every size, so that reads of different sockets share slabs.
    let at = 0;
    for (const n of sizes) {
      clients.forEach((c, i) => c.write(sent[i].subarray(at, at + n)));
      at += n;
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => [...kept.values()].every((cs) => cs.reduce((a, c) => a + c.length, 0) === total));
    expect(modes).toEqual([true, true, true, true]);
    // Socket ids follow accept order, which may differ from connect order: match by content.
    const got = [...kept.values()].map((cs) => Buffer.concat(cs));
    for (const s of sent) expect(got.some((g) => g.equals(s))).toBe(true);
    clients.forEach((c) => c.destroy());
    await close(server);
  });

  test('pause() stops reading and resume() starts it again', async () => {
    let received = 0;
    let accepted: net.Socket | null = null;
    const { server, port } = await listen((s) => {
      accepted = s;
      readChunks(s, (c) => (received += c.length));
    });
    const client = await connect(port);
    await waitFor(() => accepted !== null);
    accepted!.pause();
    const big = payload(9, 8 * 1024 * 1024);
    client.write(big);
    await new Promise((r) => setTimeout(r, 200));
    // Nothing is taken while paused (what the kernel buffers stays there).
    expect(received).toBe(0);
    accepted!.resume();
    await waitFor(() => received === big.length);
    client.destroy();
    await close(server);
  });

  test('bytes that arrived before the switch are handed on first, then the rest; end of stream still closes', async () => {
    const chunks: Buffer[] = [];
    let ended = false;
    let closed = false;
    const { server, port } = await listen((s) => {
      s.on('end', () => (ended = true));
      s.on('close', () => (closed = true));
      // The client writes before this socket is switched over.
      setTimeout(() => readChunks(s, (c) => chunks.push(c)), 100);
    });
    const client = await connect(port);
    client.write('first;');
    await new Promise((r) => setTimeout(r, 200));
    client.end('second');
    await waitFor(() => ended && closed);
    expect(Buffer.concat(chunks).toString()).toBe('first;second');
    await close(server);
  });

  test('a socket that is not a plain net.Socket is read through data events', async () => {
    let serverSide: net.Socket | null = null;
    const { server, port } = await listen((s) => {
      serverSide = s;
    });
    class Wrapped extends net.Socket {}
    const client = await connect(port, new Wrapped());
    const chunks: Buffer[] = [];
    expect(readChunks(client, (c) => chunks.push(c))).toBe(false);
    await waitFor(() => serverSide !== null);
    serverSide!.write('hello');
    await waitFor(() => Buffer.concat(chunks).toString() === 'hello');
    client.destroy();
    serverSide!.destroy();
    await close(server);
  });

  test('ownBytes copies small slices of a slab and leaves the rest alone', async () => {
    const chunks: Buffer[] = [];
    const { server, port } = await listen((s) => readChunks(s, (c) => chunks.push(c)));
    const client = await connect(port);
    client.write('abc');
    await waitFor(() => chunks.length > 0);
    const small = ownBytes(chunks[0]);
    expect(small.toString()).toBe('abc');
    expect(small.buffer).not.toBe(chunks[0].buffer);
    // A slice of a slab larger than 4 KB (a frame still arriving) stays where it is.
    client.write(payload(3, 60_000));
    await waitFor(() => chunks.reduce((a, c) => a + c.length, 0) === 60_003);
    const large = chunks.reduce((a, c) => (c.length > a.length ? c : a));
    expect(large.length).toBeGreaterThan(4096);
    expect(ownBytes(large)).toBe(large);
    const own = Buffer.from('xyz');
    expect(ownBytes(own)).toBe(own);
    client.destroy();
    await close(server);
  });
});
