#!/usr/bin/env node
'use strict';
// Writes dist/.startup-cache-*.bin (the CLI's modules and V8's code for them, src/util/startupCache.ts)
// so that the first `zkts start-foreground` after a build starts as fast as later ones. Run by
// `npm run build` and `npm ci` (prepare); a start finding it missing or stale writes it itself.
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const stats = { loaded: 0, fromCache: 0, written: false };
require(path.join(dist, 'util', 'startupCache.js')).loadThroughCache(dist, 'cli.js', stats);
const what = stats.written ? 'written' : stats.fromCache === stats.loaded ? 'up to date' : 'not writable, left as it was';
console.log(`startup cache: ${stats.loaded} modules, ${what}`);
