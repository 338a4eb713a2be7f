import * as v8 from 'v8';

/**
 * Lets V8's old generation grow to (1 + percent/100) times what a full collection left live before the
 * next one starts. A server's JS heap is small (the znodes are not on it: ~9 MB live under load), and
 * with its own limits for a heap that size V8 started incremental marking again right after each full
 * collection (`--trace-incremental-marking`: "allocation limit", at 9 MB of a 24 MB limit), so under write
 * load it marked without pause: ~12 full collections a second at set 10 KB, 32 x 100, and a fifth of the
 * server's CPU in marking threads. With the factor at 5x, ~2 a second. The factor is read whenever the
 * limit is recomputed, so unlike the heap's sizes it can be set after start-up. A start-up flag of the
 * same name (in NODE_OPTIONS or on node's command line) wins. 0 leaves V8's default.
 * Process-wide, so only the standalone server calls it, never an embedded one.
 */
export function setHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  if (!(percent > 0)) return false;
  const given = (s: string) => /--heap[-_]growing[-_]percent\b/.test(s);
  if (execArgv.some(given) || given(nodeOptions)) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
  return true;
}
