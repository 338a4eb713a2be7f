#!/usr/bin/env node
'use strict';
// Output piped into head and the like: a closed pipe ends the program quietly.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
});
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
// The CLI's modules load from dist/.startup-cache-*.bin (sources + V8 code, src/util/startupCache.ts);
// ZKTS_STARTUP_CACHE=off loads them with plain require().
const cli =
  process.env.ZKTS_STARTUP_CACHE === 'off'
    ? require('../dist/cli.js')
    : require('../dist/util/startupCache.js').loadThroughCache(dist, 'cli.js');
cli
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  });
