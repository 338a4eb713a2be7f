/**
 * Loads the CLI's modules from one file that holds their sources and V8's compiled code for them.
 *
 * A plain `require` of the CLI reads ~60 files, probes the file system to resolve each name and
 * compiles every function it runs: ~40 ms of a ~100 ms start on a small machine. Here the modules'
 * sources and V8 code caches (vm.Script cachedData) sit in dist/.startup-cache-<node>-<arch>.bin. A
 * module is taken from it while its file's size, mtime and ctime match, and read and compiled from disk
 * otherwise; V8 itself refuses code compiled by another V8 or under other flags. Whenever something had
 * to be compiled the file is rewritten once the entry module has loaded, before the CLI changes any V8
 * flag (code cached under changed flags would be refused on the next start), so it then holds the
 * modules' top level only; the build's warm-up run (warmStartupCache.ts) caches a first session's code.
 *
 * Modules keep their real file names, so stack traces read as with require(). Names that are not
 * relative (built-ins, node_modules) go to Node's own require.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import * as vm from 'vm';

const MAGIC = 'ZKTS-STARTUP-CACHE-4\n';
// MAGIC, u32 header length, u32 checksum of the header and the code, the header (JSON), every module's
// V8 code, then every module's source.
const PREFIX = MAGIC.length + 8;
// Node's own module wrapper, so that line numbers match require()'s.
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

interface Entry {
  /** Path relative to the dist directory, with forward slashes. */
  file: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  source: string;
  code: Buffer | null;
}

interface Header {
  node: string;
  arch: string;
  modules: { file: string; size: number; mtimeMs: number; ctimeMs: number; sourceBytes: number; codeBytes: number }[];
}

interface LoadedModule {
  exports: unknown;
  id: string;
  filename: string;
  loaded: boolean;
}

export interface StartupCacheStats {
  /** Modules loaded, and of those how many ran V8 code from the cache. */
  loaded: number;
  fromCache: number;
  /** Whether the cache file was (re)written by this load. */
  written: boolean;
}

/**
 * One file per Node version, architecture and set of Node options: V8 refuses code compiled under
 * other flags, and two ways of starting zkts should not keep overwriting each other's cache.
 */
export function cacheFile(distDir: string): string {
  const opts = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0');
  let h = 0x811c9dc5;
  for (let i = 0; i < opts.length; i++) h = Math.imul(h ^ opts.charCodeAt(i), 0x01000193) >>> 0;
  const flags = opts === '' ? '' : `-${h.toString(16).padStart(8, '0')}`;
  return path.join(distDir, `.startup-cache-${process.version}-${process.arch}${flags}.bin`);
}

/**
 * A 32-bit hash of buf[start, end). Release builds of V8 do not checksum code caches
 * (--verify-snapshot-checksum is off) and would run damaged code. Only the header and the code are
 * hashed (~1 ms on a cold start, where every byte costs interpreter time): a damaged source is what
 * a damaged dist/*.js would be to require(), which checks nothing either.
 */
export function checksum(buf: Buffer, start: number, end: number): number {
  let b = buf;
  let from = start;
  let to = end;
  if ((b.byteOffset + from) % 4 !== 0) {
    b = Buffer.from(buf.subarray(start, end));
    from = 0;
    to = b.length;
  }
  const words = (to - from) >>> 2;
  const w = new Int32Array(b.buffer, b.byteOffset + from, words);
  let h = 0x2545f491 ^ (to - from);
  for (let i = 0; i < words; i++) {
    h = Math.imul(h ^ w[i], 0x9e3779b1);
    h ^= h >>> 15;
  }
  for (let i = from + words * 4; i < to; i++) {
    h = Math.imul(h ^ b[i], 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function readCache(file: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return entries;
  }
  try {
    if (buf.length < PREFIX || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return entries;
    const headerBytes = buf.readUInt32LE(MAGIC.length);
    if (PREFIX + headerBytes > buf.length) return entries;
    const header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerBytes)) as Header;
    if (header.node !== process.version || header.arch !== process.arch) return entries;
    let codeAt = PREFIX + headerBytes;
    let sourceAt = codeAt;
    for (const m of header.modules) sourceAt += m.codeBytes;
    if (sourceAt > buf.length || buf.readUInt32LE(MAGIC.length + 4) !== checksum(buf, PREFIX, sourceAt)) return entries;
    for (const m of header.modules) {
      const code = m.codeBytes > 0 ? buf.subarray(codeAt, codeAt + m.codeBytes) : null;
      codeAt += m.codeBytes;
      const source = buf.toString('utf8', sourceAt, sourceAt + m.sourceBytes);
      sourceAt += m.sourceBytes;
      if (sourceAt > buf.length) return new Map();
      entries.set(m.file, { file: m.file, size: m.size, mtimeMs: m.mtimeMs, ctimeMs: m.ctimeMs, source, code });
    }
  } catch {
    return new Map();
  }
  return entries;
}

function writeCache(file: string, entries: Iterable<Entry>): boolean {
  const header: Header = { node: process.version, arch: process.arch, modules: [] };
  const codes: Buffer[] = [];
  const sources: Buffer[] = [];
  for (const e of entries) {
    const src = Buffer.from(e.source, 'utf8');
    header.modules.push({ file: e.file, size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, sourceBytes: src.length, codeBytes: e.code?.length ?? 0 });
    sources.push(src);
    if (e.code !== null) codes.push(e.code);
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.concat([Buffer.from(MAGIC, 'latin1'), Buffer.alloc(8), json, ...codes, ...sources]);
  out.writeUInt32LE(json.length, MAGIC.length);
  const codeEnd = PREFIX + json.length + codes.reduce((n, c) => n + c.length, 0);
  out.writeUInt32LE(checksum(out, PREFIX, codeEnd), MAGIC.length + 4);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, out);
    // rename: a process starting meanwhile reads the old file or the new one, never half of one.
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    return false;
  }
}

/**
 * `spec` ('./x', '../a/b') relative to the module `from` ('server/zks.js'), as a path below the dist
 * directory ('a/b'); null when it leaves that directory or is not in the plain form tsc writes (the
 * caller then normalizes it the slow way).
 * path.posix.normalize did the same at ~50 us a call, a tenth of the whole load.
 */
export function joinRelative(from: string, spec: string): string | null {
  let dirEnd = from.lastIndexOf('/');
  let i = 0;
  for (;;) {
    if (spec.startsWith('./', i)) {
      i += 2;
    } else if (spec.startsWith('../', i)) {
      if (dirEnd < 0) return null;
      dirEnd = from.lastIndexOf('/', dirEnd - 1);
      i += 3;
    } else {
      break;
    }
  }
  const rest = spec.substring(i);
  if (rest === '' || rest === '.' || rest === '..' || rest.includes('/.') || rest.includes('//')) return null;
  return dirEnd < 0 ? rest : from.substring(0, dirEnd + 1) + rest;
}

/**
 * The modules of one dist directory loaded through its cache file. `load` gives a module's exports
 * (each module once); `save` rewrites the file with V8's code for every module loaded so far, including
 * the functions compiled since (V8 caches what a script has compiled by then).
 */
export class StartupCache {
  readonly file: string;
  private readonly entries: Map<string, Entry>;
  private readonly bareRequire: NodeJS.Require;
  private readonly modules = new Map<string, LoadedModule>();
  private readonly scripts = new Map<string, { entry: Entry; script: vm.Script; fresh: boolean }>();
  /** Modules compiled from their source (no code in the cache, or code V8 refused). */
  compiled = 0;

  constructor(readonly distDir: string) {
    this.file = cacheFile(distDir);
    this.entries = readCache(this.file);
    this.bareRequire = createRequire(path.join(distDir, 'index.js'));
  }

  /** Modules loaded so far, and of those how many ran V8 code from the cache. */
  get loaded(): number {
    return this.scripts.size;
  }

  /** Exports of the module at `rel` (relative to distDir, e.g. 'cli.js'), loading it if need be. */
  load(rel: string): unknown {
    const known = this.modules.get(rel);
    if (known !== undefined) return known.exports;
    const filename = path.join(this.distDir, rel);
    const st = fs.statSync(filename);
    let e = this.entries.get(rel);
    // ctime too: it cannot be set back (utimes, tar and npm's fixed mtimes can make a replaced file's
    // size and mtime those of the old one).
    if (e === undefined || e.size !== st.size || e.mtimeMs !== st.mtimeMs || e.ctimeMs !== st.ctimeMs) {
      e = { file: rel, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, source: fs.readFileSync(filename, 'utf8'), code: null };
      this.entries.set(rel, e);
    }
    const script = new vm.Script(WRAP_HEAD + e.source + WRAP_TAIL, { filename, cachedData: e.code ?? undefined });
    const fresh = e.code === null || script.cachedDataRejected === true;
    if (fresh) this.compiled++;
    this.scripts.set(rel, { entry: e, script, fresh });
    const mod: LoadedModule = { exports: {}, id: filename, filename, loaded: false };
    this.modules.set(rel, mod);
    const req = (spec: string): unknown => {
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const target = this.resolveRelative(rel, spec);
        if (target !== null) return this.load(target);
        return this.bareRequire(path.resolve(path.dirname(filename), spec));
      }
      return this.bareRequire(spec);
    };
    const fn = script.runInThisContext() as (e: unknown, r: unknown, m: unknown, f: string, d: string) => void;
    fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
    mod.loaded = true;
    return mod.exports;
  }

  /** Writes the cache file; `all`: new code for every loaded module, not only those compiled afresh. */
  save(all = false): boolean {
    for (const s of this.scripts.values()) if (all || s.fresh) s.entry.code = s.script.createCachedData();
    return writeCache(this.file, this.entries.values());
  }

  private resolveRelative(from: string, spec: string): string | null {
    let base = joinRelative(from, spec);
    if (base === null) {
      base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
      if (base.startsWith('../') || base === '..' || base === '.') return null;
    }
    for (const c of [base + '.js', base, base + '/index.js']) {
      if (!c.endsWith('.js')) continue;
      if (this.entries.has(c) || this.modules.has(c)) return c;
      try {
        if (fs.statSync(path.join(this.distDir, c)).isFile()) return c;
      } catch {
        // try the next candidate
      }
    }
    return null;
  }
}

/**
 * Loads `entry` (relative to distDir, e.g. 'cli.js') and everything it requires from the dist
 * directory through the startup cache, and rewrites the cache if anything had to be compiled;
 * returns the entry's exports.
 */
export function loadThroughCache(distDir: string, entry: string, stats?: StartupCacheStats): unknown {
  const cache = new StartupCache(distDir);
  const exports = cache.load(entry.split(path.sep).join('/'));
  const written = cache.compiled > 0 ? cache.save() : false;
  if (stats !== undefined) {
    stats.loaded = cache.loaded;
    stats.fromCache = cache.loaded - cache.compiled;
    stats.written = written;
  }
  return exports;
}
