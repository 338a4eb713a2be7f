/**
 * The checks of zz-report.test.ts (kept out of the test file so that it stays the smallest
 * file of the matrix; see there): the generator on synthetic results, and docs/COMPATIBILITY.md
 * written from compat-tests/results/*.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/servers';
import { RESULTS_DIR, runProcess } from './harness';

const GEN = path.join(REPO_ROOT, 'scripts', 'gen-compatibility.js');
const DOC = path.join(REPO_ROOT, 'docs', 'COMPATIBILITY.md');

export async function checkGeneratorOnSyntheticResults(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-gen-'));
  try {
    const results = path.join(dir, 'results');
    fs.mkdirSync(results);
    fs.writeFileSync(
      path.join(results, 'kazoo.json'),
      JSON.stringify([
        { client: 'kazoo 2.8', recipe: 'Lock', scenario: 'mutual | exclusion', apache: 'pass', zkts: 'pass' },
        { client: 'kazoo 2.8', recipe: 'Counter', scenario: 'sum', apache: 'pass', zkts: 'fail', note: 'zkts differs' },
      ]),
    );
    fs.writeFileSync(path.join(results, 'java.json'), JSON.stringify([{ client: 'Curator 5.4', recipe: 'InterProcessMutex', apache: 'pass', zkts: 'pass' }]));
    fs.writeFileSync(path.join(results, 'broken.json'), '{not json');
    const out = path.join(dir, 'COMPAT.md');
    const r = await runProcess(process.execPath, [GEN, '--results', results, '--out', out, '--date', '2026-01-02'], { timeoutMs: 30_000 });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: 'warning: broken.json: not a JSON array\n' });
    const md = fs.readFileSync(out, 'utf8');
    expect(md).toContain('Date: 2026-01-02');
    expect(md).toContain('**Summary: 3 scenarios across 2 clients in 2 suites — Apache 3.8 passes 3/3, zkts passes 2/3; 1 pass on Apache but fail on zkts.**');
    expect(md).toContain('| kazoo 2.8 | Lock | mutual \\| exclusion | ✅ pass | ✅ pass |  |');
    expect(md).toContain('| kazoo 2.8 | Counter | sum | ✅ pass | ❌ fail | zkts differs |');
    expect(md).toContain('## Failing on zkts, passing on Apache');
    expect(md).toMatch(/Apache ZooKeeper 3\.8\.0/);
    expect(md).toMatch(/kazoo 2\.8/);
    expect(md).toMatch(/Curator 5\.4/);
    expect(md).toMatch(/node-zookeeper-client \d+\.\d+\.\d+/);
    // Java first, then kazoo
    expect(md.indexOf('## Java client and Curator')).toBeLessThan(md.indexOf('## kazoo'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function checkDocWrittenFromResults(): Promise<void> {
  const files = fs.existsSync(RESULTS_DIR) ? fs.readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json')) : [];
  const before = Date.now();
  const r = await runProcess(process.execPath, [GEN], { timeoutMs: 30_000 });
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  const st = fs.statSync(DOC);
  expect(st.mtimeMs).toBeGreaterThanOrEqual(before - 1000);
  const md = fs.readFileSync(DOC, 'utf8');
  expect(md).toContain('# Compatibility matrix');
  expect(md).toMatch(/\*\*Summary: \d+ scenarios/);
  // every (well-formed) row of every results file is in the document
  let rows = 0;
  for (const f of files) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8'));
    } catch {
      continue;
    }
    if (!Array.isArray(data)) continue;
    rows += data.filter((x) => x && /^(pass|fail)$/.test(x.apache) && /^(pass|fail)$/.test(x.zkts) && typeof x.client === 'string').length;
  }
  const tableRows = md.split('\n').filter((l) => /^\| .* \| (✅ pass|❌ fail) \| (✅ pass|❌ fail) \|/.test(l)).length;
  expect(tableRows).toBe(rows);
}
