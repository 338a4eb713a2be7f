/**
 * Seeded random differential test: each seed generates a scenario of ~RANDOM_OPS wire requests (generator.ts)
 * and runs it in lockstep on Apache ZooKeeper 3.8 and zkts, each seed on a fresh pair of servers (runner.ts).
 * Any difference in a reply (error code, zxid, data, children, ACL, normalized Stat) or in the frames a
 * connection received (watch events in arrival order) fails the test, printing the seed, the first differing
 * action and both transcript excerpts.
 *
 * Environment (all optional):
 *   RANDOM_SEEDS        seeds per configuration (default 6 plain + 3 extended)
 *   RANDOM_SEED_START   first seed (default 1; seeds are consecutive)
 *   RANDOM_OPS          requests per seed (default 2000 plain, 1200 extended)
 *   RANDOM_EXTENDED     '1': only the extended-types configuration, '0': only the plain one
 *   RANDOM_EXCLUDE      comma-separated op families to leave out (see Family in generator.ts)
 *   RANDOM_MINIMIZE     '1': on a divergence, minimize the action list (ddmin, fresh servers per trial)
 *   RANDOM_MIN_TRIALS   minimization budget in trials (default 400)
 *   RANDOM_KEEP_GOING   '1': run every seed and report all failing ones at the end
 *   RANDOM_REUSE        '1': one server pair for all plain seeds, cleaned after each (default: fresh pairs)
 *   RANDOM_PROFILE      '1': print where each seed's time went
 */
import { Family, GenOptions, KNOWN_DIVERGENCES } from './generator';
import { Pair, PairPool, SeedResult, dumpActions, minimize, report, runSeed } from './runner';

const env = process.env;
const num = (v: string | undefined, d: number): number => (v !== undefined && v !== '' ? Number(v) : d);

/**
 * Op families left out of the CI seeds because each one hits a known zkts divergence (minimal repros in the
 * report of the random-tester task; see also KNOWN_DIVERGENCES in generator.ts). RANDOM_EXCLUDE='' runs
 * them all; scripts/soak-random.sh with EXCLUDE= does the same.
 */
const CI_EXCLUDE: Family[] = [...KNOWN_DIVERGENCES];

const exclude = (env.RANDOM_EXCLUDE !== undefined ? env.RANDOM_EXCLUDE.split(',').filter(Boolean) : CI_EXCLUDE) as Family[];
const start = num(env.RANDOM_SEED_START, 1);
const sweepIntervalMs = 250;

interface Config {
  name: string;
  extended: boolean;
  seeds: number;
  ops: number;
}

const configs: Config[] = [];
if (env.RANDOM_EXTENDED !== '1') configs.push({ name: 'plain', extended: false, seeds: num(env.RANDOM_SEEDS, 6), ops: num(env.RANDOM_OPS, 2000) });
if (env.RANDOM_EXTENDED !== '0') configs.push({ name: 'extended types + 250 ms container sweep', extended: true, seeds: num(env.RANDOM_SEEDS, 3), ops: num(env.RANDOM_OPS, 1200) });

for (const cfg of configs) {
  describe(`random differential: Apache ZooKeeper 3.8 vs zkts (${cfg.name})`, () => {
    const gopts: GenOptions = { ops: cfg.ops, extended: cfg.extended, sweepIntervalMs, exclude };
    const pool = new PairPool({ extended: cfg.extended, sweepIntervalMs });
    const failures: string[] = [];

    // RANDOM_REUSE=1: one server pair for all seeds of the plain configuration; each seed ends by deleting
    // everything it created (as super). Default: a fresh pair per seed, started while the previous seed runs.
    const reuse = env.RANDOM_REUSE === '1' && !cfg.extended;
    let shared: Pair | undefined;

    afterAll(async () => {
      await shared?.stop();
      await pool.close();
    });

    const seeds = Array.from({ length: cfg.seeds }, (_, i) => start + i);
    test.each(seeds)(
      'seed %i',
      async (seed) => {
        const pair = reuse ? (shared ??= await pool.take()) : await pool.take();
        if (!reuse && seed !== seeds[seeds.length - 1]) pool.prefetch();
        let r: SeedResult;
        try {
          const profile = env.RANDOM_PROFILE === '1' ? new Map<string, { n: number; ms: number }>() : undefined;
          r = await runSeed(seed, gopts, pair, { profile, reuse });
          if (profile !== undefined) {
            const rows = [...profile.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12);
            console.log(rows.map(([k, v]) => `${k}: ${v.n}× ${v.ms} ms`).join('\n'));
          }
        } finally {
          if (!reuse) pool.release(pair);
        }
        // eslint-disable-next-line no-console
        console.log(`seed ${seed} (${cfg.name}): ${r.requests} requests, ${r.actions.length} actions, ${r.ms} ms${r.divergence ? ' — DIVERGED' : ''}`);
        if (r.divergence === null) return;
        const file = dumpActions(r, gopts);
        let min = null;
        if (env.RANDOM_MINIMIZE === '1') {
          min = await minimize(r.actions, r.divergence, pool, { maxTrials: num(env.RANDOM_MIN_TRIALS, 400), log: (s) => process.stderr.write(`seed ${seed}: ${s}\n`) });
        }
        const msg = `${report(r, gopts, min)}\n  all actions: ${file}`;
        if (env.RANDOM_KEEP_GOING === '1') {
          failures.push(msg);
          console.log(msg);
          return;
        }
        throw new Error(msg);
      },
      num(env.RANDOM_SEED_TIMEOUT_MS, env.RANDOM_MINIMIZE === '1' ? 3_600_000 : 180_000),
    );

    if (env.RANDOM_KEEP_GOING === '1') {
      test('no seed diverged', () => {
        if (failures.length > 0) throw new Error(`${failures.length} of ${cfg.seeds} seeds diverged:\n\n${failures.join('\n\n')}`);
      });
    }
  });
}
