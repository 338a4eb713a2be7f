#!/usr/bin/env node
'use strict';
/**
 * Writes docs/COMPATIBILITY.md from the compatibility-matrix results.
 *
 *   node scripts/gen-compatibility.js [--results DIR] [--out FILE] [--date YYYY-MM-DD]
 *
 * Reads every DIR/*.json (default compat-tests/results/): arrays of rows
 *   { client, recipe?, scenario?, apache: 'pass'|'fail', zkts: 'pass'|'fail', note? }
 * written by the matrix suites (compat-tests/matrix/*.test.ts; java.json by the Java client /
 * Curator suite) and renders one table per results file plus a summary line.
 * Plain Node, no dependencies. Exit code 0 when the document was written, 1 on bad input.
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const opts = {
    results: path.join(ROOT, 'compat-tests', 'results'),
    out: path.join(ROOT, 'docs', 'COMPATIBILITY.md'),
    date: new Date().toISOString().slice(0, 10),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--results') opts.results = path.resolve(v);
    else if (a === '--out') opts.out = path.resolve(v);
    else if (a === '--date') opts.date = v;
    else throw new Error(`unknown argument ${a}`);
    i++;
  }
  return opts;
}

/** Suites in reading order; others follow alphabetically. */
const SUITES = [
  ['java', 'Java client and Curator'],
  ['kazoo', 'kazoo (Python) recipes'],
  ['c-client', 'C client: cli_mt and the zookeeper npm binding'],
  ['node-zookeeper-client', 'node-zookeeper-client'],
  ['kafka', 'Kafka-style usage'],
  ['hbase', 'HBase-style usage'],
  ['solr', 'Solr-style usage'],
];

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Version of an installed npm package, or undefined. */
function npmVersion(name) {
  const pj = readJson(path.join(ROOT, 'node_modules', name, 'package.json'));
  return pj && pj.version;
}

/** Version of an installed Debian package, or undefined. */
function debVersion(name) {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return v || undefined;
  } catch {
    return undefined;
  }
}

function versions() {
  const zkDeb = debVersion('zookeeper');
  const cDeb = debVersion('libzookeeper-mt2');
  const kazooDeb = debVersion('python3-kazoo');
  const own = readJson(path.join(ROOT, 'package.json'));
  const list = [
    `Apache ZooKeeper 3.8.0 (Debian package zookeeper${zkDeb ? ` ${zkDeb}` : ''})`,
    `kazoo 2.8${kazooDeb ? ` (python3-kazoo ${kazooDeb})` : ''}`,
    'Curator 5.4 with the Java client 3.8',
    `C client 3.8 (cli_mt of libzookeeper-mt2${cDeb ? ` ${cDeb}` : ''})`,
  ];
  const nzc = npmVersion('node-zookeeper-client');
  if (nzc) list.push(`node-zookeeper-client ${nzc}`);
  const binding = npmVersion('zookeeper');
  if (binding) list.push(`zookeeper (npm) ${binding}, which builds the C client 3.8`);
  if (own && own.version) list.push(`zkts ${own.version}`);
  list.push(`Node.js ${process.versions.node}`);
  return list;
}

const VERDICTS = new Set(['pass', 'fail']);

function validRow(r) {
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.client === 'string' &&
    VERDICTS.has(r.apache) &&
    VERDICTS.has(r.zkts) &&
    (r.recipe === undefined || typeof r.recipe === 'string') &&
    (r.scenario === undefined || typeof r.scenario === 'string') &&
    (r.note === undefined || typeof r.note === 'string')
  );
}

function cell(s, max = 400) {
  let t = String(s === undefined || s === null ? '' : s)
    .replace(/\s+/g, ' ')
    .trim();
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return t.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

const mark = (v) => (v === 'pass' ? '✅ pass' : '❌ fail');

function loadSuites(dir) {
  const problems = [];
  let files = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    problems.push(`no results directory ${dir}`);
  }
  const order = new Map(SUITES.map(([name], i) => [name, i]));
  files.sort((a, b) => {
    const [na, nb] = [a.slice(0, -5), b.slice(0, -5)];
    const [ia, ib] = [order.get(na) ?? 1e9, order.get(nb) ?? 1e9];
    return ia !== ib ? ia - ib : na < nb ? -1 : na > nb ? 1 : 0;
  });
  const suites = [];
  for (const f of files) {
    const name = f.slice(0, -5);
    const data = readJson(path.join(dir, f));
    if (!Array.isArray(data)) {
      problems.push(`${f}: not a JSON array`);
      continue;
    }
    const rows = data.filter(validRow);
    if (rows.length !== data.length) problems.push(`${f}: ${data.length - rows.length} malformed row(s) skipped`);
    const title = (SUITES.find(([n]) => n === name) || [name, name])[1];
    suites.push({ name, title, rows });
  }
  return { suites, problems };
}

function render({ suites, problems }, date) {
  const all = suites.flatMap((s) => s.rows);
  const apachePass = all.filter((r) => r.apache === 'pass').length;
  const zktsPass = all.filter((r) => r.zkts === 'pass').length;
  const regressions = all.filter((r) => r.apache === 'pass' && r.zkts === 'fail');
  const bothFail = all.filter((r) => r.apache === 'fail' && r.zkts === 'fail').length;
  const clients = new Set(all.map((r) => r.client));

  const out = [];
  out.push('# Compatibility matrix');
  out.push('');
  out.push(
    `<!-- Generated by scripts/gen-compatibility.js from compat-tests/results/*.json; do not edit. -->`,
  );
  out.push('');
  out.push(
    'Real ZooKeeper clients and the recipes real systems build on them, each scenario run against ' +
      'Apache ZooKeeper 3.8 and against zkts side by side on loopback (`npm run test:compat`, ' +
      'suites in `compat-tests/matrix/` and the Java/Curator suite). A scenario passes on a server ' +
      "when its own checks hold (mutual exclusion, failover, convergence, ...); zkts passes only if, " +
      "in addition, what the client observed is identical to what it observed on Apache (after " +
      'normalizing session ids, times and scheduling-dependent order). Crashes are real: a client ' +
      "process is SIGKILLed or stalled, or a client's socket is destroyed without closing its " +
      'session, and the survivors must see its session expire.',
  );
  out.push('');
  out.push(`Date: ${date}`);
  out.push('');
  out.push('Versions:');
  out.push('');
  for (const v of versions()) out.push(`- ${v}`);
  out.push('');
  out.push(
    `**Summary: ${all.length} scenarios across ${clients.size} clients in ${suites.length} suites — ` +
      `Apache 3.8 passes ${apachePass}/${all.length}, zkts passes ${zktsPass}/${all.length}; ` +
      `${regressions.length} pass on Apache but fail on zkts` +
      `${bothFail ? `; ${bothFail} fail on both` : ''}.**`,
  );
  out.push('');
  if (!suites.some((s) => s.name === 'java')) {
    out.push('_No Java client / Curator results (compat-tests/results/java.json) were present for this run._');
    out.push('');
  }
  if (problems.length) {
    out.push('Input problems:');
    out.push('');
    for (const p of problems) out.push(`- ${cell(p)}`);
    out.push('');
  }
  if (regressions.length) {
    out.push('## Failing on zkts, passing on Apache');
    out.push('');
    out.push('| client | recipe | scenario | note |');
    out.push('|---|---|---|---|');
    for (const r of regressions) out.push(`| ${cell(r.client)} | ${cell(r.recipe)} | ${cell(r.scenario)} | ${cell(r.note, 600)} |`);
    out.push('');
  }
  for (const s of suites) {
    const ap = s.rows.filter((r) => r.apache === 'pass').length;
    const zp = s.rows.filter((r) => r.zkts === 'pass').length;
    out.push(`## ${s.title}`);
    out.push('');
    out.push(`\`compat-tests/results/${s.name}.json\`: ${s.rows.length} scenarios, Apache 3.8 ${ap} pass, zkts ${zp} pass.`);
    out.push('');
    out.push('| client | recipe | scenario | Apache 3.8 | zkts | note |');
    out.push('|---|---|---|---|---|---|');
    for (const r of s.rows) {
      out.push(`| ${cell(r.client)} | ${cell(r.recipe)} | ${cell(r.scenario)} | ${mark(r.apache)} | ${mark(r.zkts)} | ${cell(r.note)} |`);
    }
    out.push('');
  }
  return { text: out.join('\n'), total: all.length, apachePass, zktsPass, regressions: regressions.length };
}

function main(argv) {
  const opts = parseArgs(argv);
  const loaded = loadSuites(opts.results);
  const doc = render(loaded, opts.date);
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, doc.text);
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), opts.out) || opts.out}: ${doc.total} rows from ${loaded.suites.length} ` +
      `result file(s); apache pass ${doc.apachePass}, zkts pass ${doc.zktsPass}, zkts-only failures ${doc.regressions}\n`,
  );
  for (const p of loaded.problems) process.stderr.write(`warning: ${p}\n`);
  return loaded.suites.length === 0 && loaded.problems.length > 0 ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  }
}

module.exports = { render, loadSuites, main };
