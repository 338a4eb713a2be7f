import { PerformanceObserver } from 'perf_hooks';
import * as v8 from 'v8';

/**
 * Caps V8's young generation (new space) at about `maxMb`. Left alone, V8 doubles it up to 32 MB once
 * a burst of allocation has survived a few scavenges (a bulk load does that) and never gives it back:
 * 32 MB of a server's resident memory that buys nothing measurable once it is past 8 MB, as the
 * benchmark showed. The limit is a start-up flag (`--max-semi-space-size`) that `bin/zkts.js` cannot
 * pass to its own process, but the growth factor is read at each growth: it is set to 1 (no more
 * growth) after the first garbage collection that leaves new space at the cap. The collection is reported
 * between event-loop turns, so one long synchronous task can still grow it further; a server's work comes
 * in short turns. 0 leaves V8's default.
 * Process-wide, so only the standalone server calls it, never an embedded one.
 */
export function capYoungGeneration(maxMb: number): void {
  if (!(maxMb > 0)) return;
  const cap = maxMb * 1024 * 1024;
  const newSpaceSize = (): number => {
    for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
    return 0;
  };
  if (newSpaceSize() >= cap) {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    return;
  }
  const obs = new PerformanceObserver(() => {
    if (newSpaceSize() < cap) return;
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    obs.disconnect();
  });
  obs.observe({ entryTypes: ['gc'] });
}
