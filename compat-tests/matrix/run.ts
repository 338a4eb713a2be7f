/**
 * Runs in-process (TypeScript) scenarios on Apache and zkts side by side and turns their
 * outcomes into rows. A scenario may report several rows ("steps"): it gets a `step` function
 * that runs one step, records its Outcome under the step's id, and never throws.
 */
import { RunningServer } from '../lib/servers';
import { Outcome, Row, RowSpec, judge, outcomeOf } from './harness';

export type Step = <T>(id: string, fn: () => Promise<T>) => Promise<T | undefined>;

export interface Scenario {
  /** Row specs this scenario reports (a one-row scenario has one spec, whose id is used). */
  specs: RowSpec[];
  /** Runs against one server. Single-row scenarios return obs; multi-row ones use step(). */
  run(server: RunningServer, step: Step): Promise<unknown>;
}

/** Runs a scenario on one server; returns the outcome of each of its rows. */
export async function runScenario(sc: Scenario, server: RunningServer, timeoutMs = 90_000): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  const step: Step = async (id, fn) => {
    const o = await outcomeOf(fn, 45_000);
    out.set(id, o);
    return o.ok ? (o.obs as never) : undefined;
  };
  const whole = await outcomeOf(() => sc.run(server, step), timeoutMs);
  if (sc.specs.length === 1 && !out.has(sc.specs[0].id)) out.set(sc.specs[0].id, whole);
  for (const spec of sc.specs) {
    if (!out.has(spec.id)) {
      out.set(spec.id, { ok: false, detail: whole.ok ? 'step not reached' : `scenario failed before this step: ${whole.detail}` });
    }
  }
  return out;
}

/**
 * Runs all scenarios on both servers: the two sides in parallel (or Apache first, then zkts,
 * with parallel=false), scenarios one after another.
 */
export async function runBoth(
  scenarios: Scenario[],
  apache: RunningServer,
  zkts: RunningServer,
  parallel = true,
): Promise<Map<string, { row: Row; apache?: Outcome; zkts?: Outcome }>> {
  const side = async (server: RunningServer): Promise<Map<string, Outcome>> => {
    const all = new Map<string, Outcome>();
    for (const sc of scenarios) for (const [k, v] of await runScenario(sc, server)) all.set(k, v);
    return all;
  };
  const [a, z] = parallel ? await Promise.all([side(apache), side(zkts)]) : [await side(apache), await side(zkts)];
  const res = new Map<string, { row: Row; apache?: Outcome; zkts?: Outcome }>();
  for (const sc of scenarios) {
    for (const spec of sc.specs) {
      res.set(spec.id, { row: judge(spec, a.get(spec.id), z.get(spec.id)), apache: a.get(spec.id), zkts: z.get(spec.id) });
    }
  }
  return res;
}
