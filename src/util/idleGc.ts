import * as v8 from 'v8';
import * as vm from 'vm';

/**
 * Runs one compacting garbage collection when the server has gone quiet after its heap grew. V8 collects
 * the old generation when allocation pushes it, not when a burst ends, and even then keeps the pages the
 * dead objects were on: after a million creates ~20 MB of heap stay resident for nothing. A collection
 * there takes a few milliseconds, as the znodes are not on the JS heap; it runs only after a whole
 * interval without a packet, and only when the heap holds `slackBytes` more (live or dead) than the last
 * collection left, so a steady load never sees one. Process-wide (it turns on --expose-gc), so only the
 * standalone server starts it. Returns the function that stops it.
 */
export function startIdleGc(activity: () => number, intervalMs = 250, slackBytes = 4 * 1024 * 1024, collect?: () => void): () => void {
  // Made on first use: its vm context costs ~2 ms, which a new server's first client would wait for.
  let gc = collect ?? null;
  let seen = activity();
  let baseline = v8.getHeapStatistics().used_heap_size;
  const timer = setInterval(() => {
    const now = activity();
    if (now !== seen) {
      seen = now;
      return;
    }
    if (v8.getHeapStatistics().used_heap_size < baseline + slackBytes) return;
    gc ??= compactingGc();
    gc();
    baseline = v8.getHeapStatistics().used_heap_size;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** A full collection that also compacts (or nothing, if this V8 does not expose gc). */
function compactingGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc: unknown = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
  if (typeof gc !== 'function') return () => undefined;
  return () => {
    // A plain full collection frees the dead objects but keeps the pages they were on; compacting moves
    // the survivors together so the emptied pages go back to the system. Only for this one collection.
    v8.setFlagsFromString('--compact-on-every-full-gc');
    (gc as () => void)();
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  };
}
