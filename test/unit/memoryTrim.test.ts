/**
 * The standalone server's process-wide memory settings (src/util/youngGeneration.ts, idleGc.ts,
 * heapGrowth.ts), each in a child process of its own since they change V8 flags: new space stops growing
 * at the cap, a heap left full of garbage by a burst is compacted and given back once the activity count
 * stops moving, and the old generation's growth factor set after start-up spaces full collections out.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '../..');
let dir: string;

function compile(name: string): void {
  const src = fs.readFileSync(path.join(root, 'src/util', `${name}.ts`), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } });
  fs.writeFileSync(path.join(dir, `${name}.js`), out.outputText);
}

function run(script: string): any {
  const file = path.join(dir, 'child.js');
  fs.writeFileSync(file, script);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, timeout: 60_000 }).toString());
}

const SPACE = `
const v8 = require('v8');
const space = (name) => v8.getHeapSpaceStatistics().find((s) => s.space_name === name).space_size / 2 ** 20;
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-memtrim-'));
  compile('youngGeneration');
  compile('idleGc');
  compile('heapGrowth');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('memory settings of the standalone server', () => {
  test('capYoungGeneration: new space stays at the cap under an allocation burst that grows it otherwise', () => {
    // In turns of the event loop, as a server's work comes.
    const burst = `
      const keep = [];
      let turn = 0;
      const step = () => {
        for (let i = 0; i < 50000; i++) { const o = { a: i, s: 'x' + i }; if (i % 20 === 0) keep.push(o); }
        if (++turn < 60) setImmediate(step);
        else console.log(JSON.stringify({ newSpace: space('new_space') }));
      };
      step();
    `;
    const capped = run(`${SPACE} require('./youngGeneration').capYoungGeneration(8); ${burst}`);
    const free = run(`${SPACE} ${burst}`);
    expect(free.newSpace).toBeGreaterThan(8);
    expect(capped.newSpace).toBeLessThanOrEqual(8);
  });

  test('startIdleGc: one collection once activity stops after the heap grew, none while busy or without growth', () => {
    const r = run(`${SPACE}
      let activity = 0;
      const collections = [];
      const stop = require('./idleGc').startIdleGc(() => activity, 20, 4 * 2 ** 20, () => collections.push(phase));
      let phase = 'busy';
      let keep = [];
      const busy = setInterval(() => {
        activity++;
        for (let i = 0; i < 20000; i++) keep.push({ a: i, s: 'x' + i });
      }, 5);
      setTimeout(() => {
        clearInterval(busy);
        phase = 'idle';
        setTimeout(() => {
          phase = 'idle, nothing new';
          setTimeout(() => {
            stop();
            console.log(JSON.stringify({ collections, kept: keep.length > 0 }));
          }, 200);
        }, 200);
      }, 200);
    `);
    expect(r.kept).toBe(true);
    expect(r.collections).toEqual(['idle']);
  });

  test('startIdleGc with its own collector: the emptied old generation goes back', () => {
    const r = run(`${SPACE}
      let activity = 0;
      const stop = require('./idleGc').startIdleGc(() => activity, 20);
      let keep = [];
      for (let i = 0; i < 1e6; i++) keep.push({ a: i, s: 'x' + i });
      keep = keep.filter((_, i) => i % 50 === 0);
      const before = space('old_space');
      setTimeout(() => {
        stop();
        console.log(JSON.stringify({ before, after: space('old_space'), kept: keep.length }));
      }, 300);
    `);
    expect(r.kept).toBe(20_000);
    expect(r.after).toBeLessThan(r.before / 2);
  });

  test('setHeapGrowth: set after start-up, fewer full collections under churn that gets promoted', () => {
    // A small live heap and batches that live a few event-loop turns (a loaded server's requests):
    // each run counts its full collections.
    const churn = (grow: string) => `
      const { PerformanceObserver, constants } = require('perf_hooks');
      const set = ${grow};
      let majors = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
      }).observe({ entryTypes: ['gc'] });
      const live = [];
      for (let i = 0; i < 60000; i++) live.push({ id: i, name: 'n' + i });
      const ring = new Array(20).fill(null);
      let turn = 0;
      const step = () => {
        const batch = [];
        for (let i = 0; i < 2000; i++) batch.push({ a: i, b: [i, i + 1], s: 'r' + i });
        ring[turn % ring.length] = batch;
        if (++turn < 3000) setImmediate(step);
        else setImmediate(() => console.log(JSON.stringify({ majors, set, live: live.length })));
      };
      step();
    `;
    const file = path.join(dir, 'churn.js');
    const runChurn = (grow: string) => {
      fs.writeFileSync(file, churn(grow));
      return JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=8', file], { cwd: dir, timeout: 60_000 }).toString());
    };
    const plain = runChurn('false');
    const grown = runChurn("require('./heapGrowth').setHeapGrowth(2000, [], '')");
    expect(grown.set).toBe(true);
    expect(plain.majors).toBeGreaterThan(4);
    expect(grown.majors).toBeLessThan(plain.majors / 2);
  });

  test('setHeapGrowth leaves a growth given to node alone, and 0 means V8 decides', () => {
    const r = run(`
      const { setHeapGrowth } = require('./heapGrowth');
      console.log(JSON.stringify([
        setHeapGrowth(400, ['--heap-growing-percent=50'], ''),
        setHeapGrowth(400, [], '--max-old-space-size=512 --heap_growing_percent=50'),
        setHeapGrowth(0, [], ''),
      ]));
    `);
    expect(r).toEqual([false, false, false]);
  });
});
