#!/usr/bin/env node
'use strict';
// Writes dist/.startup-cache-*.bin (the CLI's modules and V8's code for them, src/util/startupCache.ts)
// after a short warm-up run of the server (src/util/warmStartupCache.ts), so that a start after a build
// neither compiles the modules nor the code of its first requests. Run by `npm run build` and `npm ci`
// (prepare); a start that finds the cache missing or stale writes one itself (the modules' code only).
const path = require('path');
const { warmStartupCache } = require('../dist/util/warmStartupCache.js');
warmStartupCache(path.join(__dirname, '..', 'dist')).then(
  (r) => {
    const what = r.written ? 'written' : 'not writable, left as it was';
    console.log(`startup cache: ${r.modules} modules, ${what}${r.failure === null ? '' : ` (the warm-up server stopped early: ${r.failure})`}`);
    // A warm-up given up may have left its server running: the build goes on regardless.
    process.exit(0);
  },
  (e) => {
    console.error(`startup cache: ${e.message}`);
    process.exit(0);
  },
);
