import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { cacheFile, joinRelative, loadThroughCache, StartupCacheStats } from '../../src/util/startupCache';

const REPO = path.resolve(__dirname, '..', '..');

/** A small dist tree: relative requires up and down, an index.js, a cycle, a built-in and a JSON file. */
function writeTree(dir: string): void {
  const files: Record<string, string> = {
    'cli.js': [
      "'use strict';",
      "const a = require('./lib/a');",
      "const sub = require('./sub');",
      "const path = require('path');",
      "const data = require('./data.json');",
      'exports.value = () => a.value() + sub.value + data.n;',
      'exports.sep = path.sep;',
      'exports.self = () => __filename;',
      "exports.lazy = () => require('./lib/late').late;",
    ].join('\n'),
    'lib/a.js': ["const b = require('./b');", 'exports.value = () => 1 + b.value();', 'exports.fromA = 10;'].join('\n'),
    // b requires a while a is still loading: it sees a's exports as they are so far, as with require().
    'lib/b.js': ["const a = require('./a');", 'exports.value = () => 2 + a.fromA;'].join('\n'),
    'sub/index.js': ["const c = require('../lib/c');", 'exports.value = c.value;'].join('\n'),
    'lib/c.js': 'exports.value = 100;',
    'lib/late.js': 'exports.late = "late";',
    'lib/thrower.js': ['// line 1', '// line 2', "exports.boom = () => { throw new Error('boom'); };"].join('\n'),
    'data.json': '{ "n": 1000 }',
  };
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
}

describe('startup cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-startup-cache-'));
    writeTree(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = (): { cli: any; stats: StartupCacheStats } => {
    const stats: StartupCacheStats = { loaded: 0, fromCache: 0, written: false };
    const cli = loadThroughCache(dir, 'cli.js', stats);
    return { cli, stats };
  };

  test('modules load as with require(): exports, cycles, index.js, ../, built-ins, JSON, __filename, late requires', () => {
    const expected = require(path.join(dir, 'cli.js'));
    const { cli, stats } = load();
    expect(cli.value()).toBe(expected.value());
    expect(cli.value()).toBe(1 + 2 + 10 + 100 + 1000);
    expect(cli.sep).toBe(path.sep);
    expect(cli.self()).toBe(path.join(dir, 'cli.js'));
    expect(cli.lazy()).toBe('late');
    // cli, a, b, sub/index, c, and late (loaded after the entry): JSON goes to Node's require.
    expect(stats.loaded).toBe(5);
    expect(stats.written).toBe(true);
    expect(fs.existsSync(cacheFile(dir))).toBe(true);
  });

  test('a second load takes every module from the cache and writes nothing', () => {
    load();
    const { cli, stats } = load();
    expect(cli.value()).toBe(1113);
    expect(stats).toEqual({ loaded: 5, fromCache: 5, written: false });
  });

  test('a changed file is read and compiled again, the others still come from the cache', () => {
    load();
    const c = path.join(dir, 'lib', 'c.js');
    fs.writeFileSync(c, 'exports.value = 200;');
    const { cli, stats } = load();
    expect(cli.value()).toBe(1213);
    expect(stats.fromCache).toBe(4);
    expect(stats.written).toBe(true);
    expect(load().stats.fromCache).toBe(5);
  });

  test('a file rewritten with the same length and its old mtime put back is not served from the old source', () => {
    // As npm leaves every file it unpacks: one fixed mtime.
    const c = path.join(dir, 'lib', 'c.js');
    fs.utimesSync(c, 499162500, 499162500);
    load();
    const before = fs.statSync(c);
    fs.writeFileSync(c, 'exports.value = 999;');
    fs.utimesSync(c, 499162500, 499162500);
    expect(fs.statSync(c).mtimeMs).toBe(before.mtimeMs);
    expect(fs.statSync(c).size).toBe(before.size);
    expect(load().cli.value()).toBe(1 + 2 + 10 + 999 + 1000);
  });

  test('a damaged or foreign cache file is ignored and replaced', () => {
    load();
    const file = cacheFile(dir);
    for (const damage of [Buffer.from('not a cache'), fs.readFileSync(file).subarray(0, 100), Buffer.alloc(0)]) {
      fs.writeFileSync(file, damage);
      const { cli, stats } = load();
      expect(cli.value()).toBe(1113);
      expect(stats.fromCache).toBe(0);
      expect(stats.written).toBe(true);
    }
    // One flipped bit in the header or the code (V8 itself does not checksum code caches in release builds).
    const good = fs.readFileSync(file);
    const headerLen = good.readUInt32LE(21);
    const firstSource = good.indexOf("'use strict'");
    expect(firstSource).toBeGreaterThan(29 + headerLen + 100);
    for (const at of [40, 29 + headerLen + 1, Math.floor((29 + headerLen + firstSource) / 2), firstSource - 1]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      fs.writeFileSync(file, bad);
      const { cli, stats } = load();
      expect(cli.value()).toBe(1113);
      expect(stats.fromCache).toBe(0);
    }
  });

  test('code V8 refuses (compiled under other flags) is compiled again from the source', () => {
    // A child with another young-generation size writes its cache; this process is handed that file.
    const code = `require(${JSON.stringify(path.join(REPO, 'dist', 'util', 'startupCache.js'))}).loadThroughCache(${JSON.stringify(dir)}, 'cli.js')`;
    const child = spawnSync(process.execPath, ['--max-semi-space-size=4', '-e', code], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    const written = fs.readdirSync(dir).filter((f) => f.startsWith('.startup-cache-'));
    expect(written.length).toBe(1);
    fs.renameSync(path.join(dir, written[0]), cacheFile(dir));
    const { cli, stats } = load();
    expect(cli.value()).toBe(1113);
    expect(stats.fromCache).toBe(0);
    expect(stats.written).toBe(true);
    expect(load().stats.fromCache).toBe(5);
  });

  test('a read-only dist directory still loads (nothing written)', () => {
    if (process.getuid?.() === 0) {
      // root writes anyway: check instead that a failed write leaves no temporary file behind
      fs.mkdirSync(cacheFile(dir));
      const { cli, stats } = load();
      expect(cli.value()).toBe(1113);
      expect(stats.written).toBe(false);
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      return;
    }
    fs.chmodSync(dir, 0o555);
    try {
      const { cli, stats } = load();
      expect(cli.value()).toBe(1113);
      expect(stats.written).toBe(false);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });

  test('stack traces name the module file and its line, as with require()', () => {
    load();
    const t = loadThroughCache(dir, 'lib/thrower.js') as { boom: () => void };
    let stack = '';
    try {
      t.boom();
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    expect(stack).toContain(`${path.join(dir, 'lib', 'thrower.js')}:3:`);
  });

  test('joinRelative resolves the forms tsc writes and gives up on the rest', () => {
    expect(joinRelative('cli.js', './config/zooCfg')).toBe('config/zooCfg');
    expect(joinRelative('server/a.js', '../tree/dataTree')).toBe('tree/dataTree');
    expect(joinRelative('server/a.js', './b')).toBe('server/b');
    expect(joinRelative('a/b/c.js', '../../x')).toBe('x');
    expect(joinRelative('a/b/c.js', '../../../x')).toBeNull();
    expect(joinRelative('cli.js', '../x')).toBeNull();
    expect(joinRelative('a/b.js', './x/../y')).toBeNull();
    expect(joinRelative('a/b.js', '.')).toBeNull();
  });

  test('node flags get a cache file of their own', () => {
    const code = `process.stdout.write(require(${JSON.stringify(path.join(REPO, 'dist', 'util', 'startupCache.js'))}).cacheFile('/d'))`;
    const plain = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' }).stdout;
    const flagged = spawnSync(process.execPath, ['--max-old-space-size=100', '-e', code], { encoding: 'utf8' }).stdout;
    expect(plain).toMatch(/^\/d\/\.startup-cache-v\d+\.\d+\.\d+-\w+(-[0-9a-f]{8})?\.bin$/);
    expect(flagged).not.toBe(plain);
  });
});

describe('bin/zkts.js through the startup cache', () => {
  test('the CLI answers the same with the cache and with plain require()', () => {
    const bin = path.join(REPO, 'bin', 'zkts.js');
    const env = (v: string): NodeJS.ProcessEnv => ({ ...process.env, ZKTS_STARTUP_CACHE: v });
    const cached = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8', env: env('on') });
    const plain = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8', env: env('off') });
    expect(cached.status).toBe(0);
    expect(cached.stdout).toBe(plain.stdout);
    expect(cached.stdout).toMatch(/zkts/);
  });
});

describe('what loading the CLI costs', () => {
  test('http, child_process and crypto are not loaded until a server needs them', () => {
    const code = [
      'const before = new Set(process.moduleLoadList);',
      `require(${JSON.stringify(path.join(REPO, 'dist', 'cli.js'))});`,
      "const loaded = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13));",
      'process.stdout.write(JSON.stringify(loaded));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const loaded = JSON.parse(r.stdout) as string[];
    expect(loaded).toContain('net');
    for (const m of ['http', 'child_process', 'crypto']) expect(loaded).not.toContain(m);
  });
});

describe('the warm-up run (npm run build)', () => {
  let copy: string;
  beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-warm-test-'));
    fs.cpSync(path.join(REPO, 'dist'), path.join(copy, 'dist'), {
      recursive: true,
      preserveTimestamps: true,
      filter: (f) => !path.basename(f).startsWith('.startup-cache-'),
    });
  });
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  const codeBytes = (file: string): number => {
    const buf = fs.readFileSync(file);
    const header = JSON.parse(buf.toString('utf8', 29, 29 + buf.readUInt32LE(21))) as { modules: { codeBytes: number }[] };
    return header.modules.reduce((n, m) => n + m.codeBytes, 0);
  };
  const env = { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') };
  const dist = (): string => path.join(copy, 'dist');
  const file = (): string => path.join(dist(), path.basename(cacheFile('/')));

  test('serves a session and caches the code it ran: more than the top level, and a start then compiles nothing', () => {
    const load = `const s = { loaded: 0, fromCache: 0, written: false }; require(${JSON.stringify(path.join(REPO, 'dist', 'util', 'startupCache.js'))}).loadThroughCache(${JSON.stringify(dist())}, 'cli.js', s); process.stdout.write(JSON.stringify(s))`;
    // Plain node, no flags: the file name the warm-up (a script, no flags) writes too.
    const script = path.join(copy, 'load.js');
    fs.writeFileSync(script, load);
    const first = JSON.parse(spawnSync(process.execPath, [script], { encoding: 'utf8', env }).stdout);
    expect(first.written).toBe(true);
    const topLevelOnly = codeBytes(file());
    const warm = spawnSync(process.execPath, [path.join(dist(), 'util', 'warmStartupCache.js'), dist()], { encoding: 'utf8', env, timeout: 60000 });
    expect(warm.status).toBe(0);
    expect(warm.stderr).toBe('');
    expect(codeBytes(file())).toBeGreaterThan(topLevelOnly * 1.1);
    const after = JSON.parse(spawnSync(process.execPath, [script], { encoding: 'utf8', env }).stdout);
    expect(after).toEqual({ loaded: first.loaded, fromCache: first.loaded, written: false });
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('zkts-warm-') && !copy.endsWith(f))).toEqual([]);
  }, 60000);

  test('a warm-up that does not finish in time is given up: the cache is written all the same', () => {
    const code = `require(${JSON.stringify(path.join(REPO, 'dist', 'util', 'warmStartupCache.js'))}).warmStartupCache(${JSON.stringify(dist())}, 1).then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); })`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env, timeout: 60000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { modules: number; written: boolean; failure: string | null };
    expect(out.failure).toBe('no end within 1 ms');
    expect(out.written).toBe(true);
    expect(out.modules).toBeGreaterThan(10);
  }, 60000);
});
