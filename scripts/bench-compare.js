#!/usr/bin/env node
'use strict';
/**
 * npm run bench:compare [-- options]: Apache ZooKeeper 3.8 against zkts on this machine, written to
 * docs/PERFORMANCE.md and docs/performance.svg. Plain JS over the compiled src/bench (the npm script
 * builds first). `--quick`: a few seconds, zkts only, report in a temp dir — a smoke test for CI.
 * `--help` lists the options.
 */
const fs = require('fs');
const path = require('path');

const compiled = path.join(__dirname, '..', 'dist', 'bench', 'compare.js');
if (!fs.existsSync(compiled)) {
  console.error(`bench-compare: ${compiled} is missing; build first (npx tsc -p .)`);
  process.exit(2);
}
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`Usage: npm run bench:compare -- [options]

  --quick               seconds, zkts only, report in a temp dir (CI smoke test)
  --reps N              repetitions, servers alternating (3)
  --duration S          measured seconds per row (5)
  --warmup S            warmup seconds per row (1)
  --small N, --big N    znodes for the memory/restart/snapshot phase (100000, 1000000; --big 0 skips it)
  --snap-duration S     seconds of the snapshot and no-snapshot runs (20)
  --snap-count N        snapCount during the snapshot run (2000)
  --rows REGEX          only the matrix rows whose id matches (e.g. 'get-1x1')
  --only apache|zkts    one server only
  --workers W           load generator worker threads (default: min(sessions, cores-1))
  --zkts-node-args ARGS node flags for the zkts server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --apache-jvm-args ARGS JVM flags for Apache
  --out FILE            markdown output (docs/PERFORMANCE.md; --quick: a temp dir)
  --svg FILE            chart output (next to --out, performance.svg)
  --json FILE           raw results (a temp dir)
  --from-json FILE      re-render the report from raw results without running anything
  --no-install          do not run scripts/install-oracle.sh
`);
  process.exit(0);
}
require(compiled)
  .compareMain(argv)
  .then((code) => process.exit(code))
  .catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  });
