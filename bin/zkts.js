#!/usr/bin/env node
'use strict';
// Output piped into head and the like: a closed pipe ends the program quietly.
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') process.exit(0);
});
require('../dist/cli.js')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  });
