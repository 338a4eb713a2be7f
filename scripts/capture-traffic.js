#!/usr/bin/env node
/*
 * TCP recording proxy for ZooKeeper client traffic (plain Node, no deps).
 *
 *   node scripts/capture-traffic.js --listen <port> --target <host:port> --out <file.json>
 *        [--host 127.0.0.1] [--description "..."] [--client "..."] [--server "..."]
 *        [--connections N] [--ready-file <path>]
 *
 * Listens on <host>:<port>, forwards every connection to --target, and splits each
 * direction into ZooKeeper frames by the 4-byte big-endian length prefix. Writes
 *
 *   { "description": ..., "client": ..., "server": ...,
 *     "frames": [ { "dir": "c2s" | "s2c", "hex": "<frame incl. 4-byte length prefix>" }, ... ] }
 *
 * Frames are in the order the proxy received them. If more than one connection was
 * proxied, every frame also carries "conn": <0-based connection index>. Bytes left
 * over when a connection closes (not a whole frame) are recorded with "partial": true.
 *
 * The output file is rewritten after every frame, so it is always complete JSON.
 * The proxy runs until SIGINT/SIGTERM, or, with --connections N, until N proxied
 * connections have closed. With --ready-file, the file is created once listening.
 * --listen 0 picks a free port; the chosen port is printed as "listening <port>".
 */
'use strict';

const net = require('net');
const fs = require('fs');

const MAX_FRAME = 64 * 1024 * 1024; // sanity bound; anything larger is not a ZK frame

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', description: '', client: '', server: '', connections: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`missing value for ${a}`);
      return argv[++i];
    };
    switch (a) {
      case '--listen': opts.listen = Number(next()); break;
      case '--host': opts.host = next(); break;
      case '--target': opts.target = next(); break;
      case '--out': opts.out = next(); break;
      case '--description': opts.description = next(); break;
      case '--client': opts.client = next(); break;
      case '--server': opts.server = next(); break;
      case '--connections': opts.connections = Number(next()); break;
      case '--ready-file': opts.readyFile = next(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!Number.isInteger(opts.listen) || opts.listen < 0) usage('--listen <port> required');
  if (!opts.target || !/^[^:]+:\d+$/.test(opts.target)) usage('--target <host:port> required');
  if (!opts.out) usage('--out <file.json> required');
  const [th, tp] = opts.target.split(':');
  opts.targetHost = th;
  opts.targetPort = Number(tp);
  return opts;
}

function usage(msg) {
  if (msg) process.stderr.write(`capture-traffic: ${msg}\n`);
  process.stderr.write(
    'usage: node scripts/capture-traffic.js --listen <port> --target <host:port> --out <file.json>\n' +
      '         [--host 127.0.0.1] [--description TEXT] [--client TEXT] [--server TEXT]\n' +
      '         [--connections N] [--ready-file PATH]\n',
  );
  process.exit(msg ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));
const frames = []; // { conn, dir, hex, partial? }
let connCount = 0;
let closedCount = 0;

function render() {
  const multi = connCount > 1;
  const lines = frames.map((f) => {
    const o = {};
    if (multi) o.conn = f.conn;
    o.dir = f.dir;
    o.hex = f.hex;
    if (f.partial) o.partial = true;
    return '    ' + JSON.stringify(o);
  });
  return (
    '{\n' +
    `  "description": ${JSON.stringify(opts.description)},\n` +
    `  "client": ${JSON.stringify(opts.client)},\n` +
    `  "server": ${JSON.stringify(opts.server)},\n` +
    '  "frames": [\n' +
    lines.join(',\n') +
    (lines.length ? '\n' : '') +
    '  ]\n}\n'
  );
}

function save() {
  const tmp = `${opts.out}.tmp`;
  fs.writeFileSync(tmp, render());
  fs.renameSync(tmp, opts.out);
}

/** Accumulates one direction of one connection and emits whole frames. */
class Framer {
  constructor(conn, dir) {
    this.conn = conn;
    this.dir = dir;
    this.buf = Buffer.alloc(0);
    this.broken = false; // stream stopped looking like length-prefixed frames
  }
  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let emitted = false;
    while (!this.broken && this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (len < 0 || len > MAX_FRAME) {
        this.broken = true; // e.g. a four-letter word; keep the rest as one partial blob
        break;
      }
      if (this.buf.length < 4 + len) break;
      const frame = this.buf.subarray(0, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      frames.push({ conn: this.conn, dir: this.dir, hex: frame.toString('hex') });
      emitted = true;
    }
    if (emitted) save();
  }
  flush() {
    if (this.buf.length) {
      frames.push({ conn: this.conn, dir: this.dir, hex: this.buf.toString('hex'), partial: true });
      this.buf = Buffer.alloc(0);
      save();
    }
  }
}

const server = net.createServer((client) => {
  const conn = connCount++;
  client.setNoDelay(true);
  const upstream = net.connect({ host: opts.targetHost, port: opts.targetPort });
  upstream.setNoDelay(true);
  const c2s = new Framer(conn, 'c2s');
  const s2c = new Framer(conn, 's2c');
  let closed = 0;
  const onClosed = () => {
    if (++closed < 2) return;
    c2s.flush();
    s2c.flush();
    closedCount++;
    process.stderr.write(`capture-traffic: connection ${conn} closed (${frames.length} frames so far)\n`);
    if (opts.connections > 0 && closedCount >= opts.connections) shutdown(0);
  };

  client.on('data', (d) => {
    c2s.push(d);
    upstream.write(d);
  });
  upstream.on('data', (d) => {
    s2c.push(d);
    client.write(d);
  });
  // Propagate half-closes so that e.g. a client's FIN reaches the server.
  client.on('end', () => upstream.end());
  upstream.on('end', () => client.end());
  client.on('error', () => upstream.destroy());
  upstream.on('error', (e) => {
    process.stderr.write(`capture-traffic: upstream error: ${e.message}\n`);
    client.destroy();
  });
  client.on('close', onClosed);
  upstream.on('close', onClosed);
});

function shutdown(code) {
  save();
  server.close();
  process.exit(code);
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

save();
server.listen({ host: opts.host, port: opts.listen }, () => {
  const { port } = server.address();
  process.stdout.write(`listening ${port}\n`);
  if (opts.readyFile) fs.writeFileSync(opts.readyFile, `${port}\n`);
});
server.on('error', (e) => {
  process.stderr.write(`capture-traffic: ${e.message}\n`);
  process.exit(1);
});
