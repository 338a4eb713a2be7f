import * as net from 'net';
import { copyBytes } from '../util/bytes';

/**
 * Reading client sockets without a fresh buffer per read.
 *
 * For every read of a socket Node allocates 64 KB, shrinks it to the bytes read, wraps it in a new
 * ArrayBuffer (external memory, which starts full GCs under load) and pushes it through the Readable
 * stream ('data', then a nextTick). A caller-owned read buffer (the `onread` option) skips all of that,
 * but Node offers it only for sockets it creates, not for accepted ones. The same machinery is reachable
 * on an accepted socket: the socket's three onread fields (symbols, found by name) and its handle's
 * useUserBuffer. Where they are not there (another Node), the socket is read through 'data' as before.
 *
 * Every socket reads into one shared buffer; each read is copied at once into a slab that later reads
 * share (many reads per allocation), so the chunks handed on may be kept, like Node's own.
 */

/** Bytes one read may take (Node's own read size). */
const READ_SIZE = 64 * 1024;
/** Reads are copied into slabs of this size (eight whole reads at least). */
const SLAB_SIZE = 512 * 1024;

let readBuffer: Buffer | null = null;
let slab: Buffer = Buffer.alloc(0);
let slabUsed = SLAB_SIZE;

type Fields = { buffer: symbol; callback: symbol; generator: symbol };
let fields: Fields | null | undefined;

function fieldsOf(socket: net.Socket): Fields | null {
  if (fields !== undefined) return fields;
  const byName = new Map(Object.getOwnPropertySymbols(socket).map((s) => [s.description, s]));
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  fields = buffer !== undefined && callback !== undefined && generator !== undefined ? { buffer, callback, generator } : null;
  return fields;
}

/** `n` bytes of the shared read buffer, copied to where they may stay. */
function keep(n: number): Buffer {
  const src = readBuffer!;
  if (SLAB_SIZE - slabUsed < n) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const at = slabUsed;
  // A lone request's read is a few dozen bytes: a loop, not a call into C++ (Buffer.copy), copies those.
  copyBytes(src, 0, n, slab, at);
  slabUsed = (at + n + 7) & ~7;
  return slab.subarray(at, at + n);
}

/** Slices of a slab up to this size that may be held a long time are copied out. */
const OWN_MAX = 4 * 1024;

/**
 * `b`, or a copy when it is a small slice of a slab: the start of a frame whose rest has not arrived
 * may be held indefinitely, and must not keep a whole slab alive.
 */
export function ownBytes(b: Buffer): Buffer {
  return b.length <= OWN_MAX && b.buffer.byteLength === SLAB_SIZE ? Buffer.from(b) : b;
}

/**
 * Hands every chunk read from `socket` to `onChunk`. End of stream and errors still come as the socket's
 * 'end', 'error' and 'close'; pause() and resume() still stop and start reading. True when the socket
 * reads into the shared buffer, false when through 'data'.
 */
export function readChunks(socket: net.Socket, onChunk: (chunk: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Buffer) => void } })._handle;
  const f = fieldsOf(socket);
  if (f === null || handle == null || typeof handle.useUserBuffer !== 'function' || !(socket.constructor === net.Socket)) {
    socket.on('data', onChunk);
    return false;
  }
  readBuffer ??= Buffer.allocUnsafeSlow(READ_SIZE);
  const s = socket as unknown as Record<symbol, unknown>;
  s[f.buffer] = readBuffer;
  s[f.generator] = null;
  s[f.callback] = (nread: number) => {
    onChunk(keep(nread));
  };
  handle.useUserBuffer(readBuffer);
  // Anything read before the switch sits in the stream's buffer.
  for (let c: Buffer | null = socket.read(); c !== null; c = socket.read()) onChunk(c);
  return true;
}
