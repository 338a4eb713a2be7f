/**
 * Compatibility matrix, Kafka-style use of ZooKeeper (pre-KRaft Kafka's znode layout and
 * protocol), replayed with node-zookeeper-client: broker registration as ephemerals, controller
 * election through the ephemeral /controller and the /controller_epoch znode written with
 * versioned writes, controller failover when the controller's session expires (its client is
 * crashed), a zombie controller fenced by a multi with a check on the epoch's zkVersion, config
 * change notifications as sequential nodes with child watches, ISR updates by versioned writes
 * with BadVersion retry. Each step is a row; results in compat-tests/results/kafka.json.
 */
import { RunningServer } from '../lib/servers';
import { Outcome, Row, RowSpec, check, declareRowTests, judge, sleep, waitFor, withPair, writeResults } from './harness';
import { EventLog, Mode, NZC_VERSION, Zk, long, outcomeCode } from './nzc';
import { Scenario, Step, runBoth } from './run';

const SUITE = 'kafka';
const CLIENT = `node-zookeeper-client ${NZC_VERSION}`;

const STEPS: Array<[string, string]> = [
  ['k_register', 'Kafka: brokers register ephemeral /brokers/ids/N; a duplicate broker id gets NodeExists'],
  ['k_elect', 'Kafka: controller election via ephemeral /controller; /controller_epoch created, losers watch'],
  ['k_failover', "Kafka: controller's session expires (client crashed) → survivors see /controller and /brokers/ids/1 go, one wins, epoch bumped by versioned write"],
  ['k_fence', 'Kafka: zombie controller fenced — multi(check /controller_epoch zkVersion, setData) fails BadVersion atomically; the current controller\'s succeeds'],
  ['k_reregister', 'Kafka: crashed broker is told EXPIRED, re-registers with a new session; watchers see it'],
  ['k_config', 'Kafka: config changes as sequential /config/changes/config_change_N, child watches, processed in order, purged'],
  ['k_isr', 'Kafka: ISR update by versioned setData; the stale writer gets BadVersion, re-reads and retries'],
];
const SPECS: RowSpec[] = STEPS.map(([id, scenario]) => ({ id, client: CLIENT, scenario }));

const json = (o: unknown): string => JSON.stringify(o);

async function kafka(server: RunningServer, step: Step): Promise<void> {
  const cs = server.connectString;
  const clients: Zk[] = [];
  const connect = async (timeout?: number): Promise<Zk> => {
    const z = await Zk.open(cs, timeout);
    clients.push(z);
    return z;
  };
  try {
    const admin = await connect();
    for (const p of ['/brokers/ids', '/brokers/topics', '/config/changes', '/config/topics', '/admin']) await admin.mkdirp(p);
    // broker 1 has a short session so that its crash expires quickly
    const brokers = new Map<number, Zk>([
      [1, await connect(1000)],
      [2, await connect()],
      [3, await connect()],
    ]);
    const b = (n: number): Zk => brokers.get(n)!;
    const idsLog = new EventLog();

    await step('k_register', async () => {
      for (const [n, zk] of brokers) {
        await zk.create(`/brokers/ids/${n}`, json({ host: '127.0.0.1', port: 9090 + n, version: 5 }), Mode.EPHEMERAL);
      }
      const dup = await outcomeCode(b(2).create('/brokers/ids/1', '{}', Mode.EPHEMERAL));
      const ids = await admin.childNames('/brokers/ids', idsLog.watcher());
      const owners = await Promise.all(
        [1, 2, 3].map(async (n) => long((await admin.exists(`/brokers/ids/${n}`))!.ephemeralOwner) === Number(b(n).sessionId)),
      );
      check(owners.every(Boolean), `ephemeralOwner is not the registering session: ${owners}`);
      const d2 = await admin.getText('/brokers/ids/2');
      return { ids: [...ids].sort(), duplicate: dup, ownersMatch: owners, data2: JSON.parse(d2.data ?? 'null') };
    });

    const ctlLog = new EventLog();
    await step('k_elect', async () => {
      const res: string[] = [];
      for (const n of [1, 2, 3]) {
        res.push(await outcomeCode(b(n).create('/controller', json({ version: 1, brokerid: n }), Mode.EPHEMERAL)));
        if (n !== 1) await b(n).exists('/controller', ctlLog.watcher(`b${n}:`));
      }
      // the winner initialises the controller epoch, then bumps it with a versioned write
      const created = await outcomeCode(b(1).create('/controller_epoch', '0'));
      const e0 = await b(1).getText('/controller_epoch');
      await b(1).setData('/controller_epoch', String(Number(e0.data) + 1), e0.stat.version);
      const ep = await b(1).getText('/controller_epoch');
      const ctl = await admin.getText('/controller');
      return { creates: res, epochCreate: created, epoch: ep.data, epochVersion: ep.stat.version, controller: JSON.parse(ctl.data ?? 'null').brokerid };
    });

    let epochVersion = 0;
    let newController = 0;
    await step('k_failover', async () => {
      b(1).crash();
      check(await ctlLog.waitCount(2, 15_000), `survivors saw ${ctlLog.events}`);
      check(await idsLog.waitCount(1, 5000), 'admin saw no /brokers/ids change');
      // both survivors race for /controller
      const race = await Promise.all(
        [2, 3].map(async (n) => [n, await outcomeCode(b(n).create('/controller', json({ version: 1, brokerid: n }), Mode.EPHEMERAL))] as const),
      );
      const winners = race.filter(([, r]) => r === 'OK').map(([n]) => n);
      check(winners.length === 1, `controller race winners: ${json(race)}`);
      newController = winners[0];
      const w = b(newController);
      const cur = await w.getText('/controller_epoch');
      const next = String(Number(cur.data) + 1);
      const st = await w.setData('/controller_epoch', next, cur.stat.version);
      epochVersion = st.version;
      const staleBump = await outcomeCode(b(5 - newController).setData('/controller_epoch', '99', cur.stat.version));
      const ids = await admin.childNames('/brokers/ids');
      return {
        survivorsSawDeleted: [...ctlLog.events].sort(),
        adminSaw: idsLog.events,
        raceResults: race.map(([, r]) => r).sort(),
        epoch: (await admin.getText('/controller_epoch')).data,
        epochVersion,
        staleEpochBump: staleBump,
        ids: [...ids].sort(),
      };
    });

    await step('k_fence', async () => {
      await admin.create('/brokers/topics/t1', json({ version: 2, partitions: { 0: [2, 3] } }));
      await admin.mkdirp('/brokers/topics/t1/partitions/0');
      const w = b(newController);
      const init = await w.commitNamed(
        w.transaction()
          .check('/controller_epoch', epochVersion)
          .create('/brokers/topics/t1/partitions/0/state', Buffer.from(json({ leader: 2, isr: [2, 3], leader_epoch: 0, controller_epoch: 2 }))),
      );
      // a zombie controller that still believes epoch zkVersion 1 (node-zookeeper-client turns
      // a version of 0 in a transaction into -1, so the stale version must not be 0)
      check(epochVersion === 2, `epoch zkVersion ${epochVersion}`);
      const zombie = await connect();
      const fenced = await zombie.commitNamed(
        zombie.transaction()
          .check('/controller_epoch', 1)
          .setData('/brokers/topics/t1/partitions/0/state', Buffer.from(json({ leader: 3, isr: [3], leader_epoch: 1, controller_epoch: 1 }))),
      );
      const st = await admin.getText('/brokers/topics/t1/partitions/0/state');
      return {
        currentController: [init.error, init.results.map((r) => [r.type, r.err ?? 0, r.path ?? null])],
        zombie: [fenced.error, fenced.results.map((r) => [r.type, r.err ?? 0])],
        stateAfter: JSON.parse(st.data ?? 'null'),
        stateVersion: st.stat.version,
      };
    });

    await step('k_reregister', async () => {
      const idsLog2 = new EventLog();
      await admin.childNames('/brokers/ids', idsLog2.watcher());
      const told = await b(1).revive();
      const fresh = await connect(1000);
      brokers.set(1, fresh);
      await fresh.create('/brokers/ids/1', json({ host: '127.0.0.1', port: 9091, version: 5 }), Mode.EPHEMERAL);
      check(await idsLog2.waitCount(1, 5000), 'admin saw no re-registration');
      const ctl = JSON.parse((await admin.getText('/controller')).data ?? 'null').brokerid;
      return {
        crashedBrokerToldOnReconnect: told,
        adminSaw: idsLog2.events,
        ids: [...(await admin.childNames('/brokers/ids'))].sort(),
        controllerUnchanged: ctl === newController,
      };
    });

    await step('k_config', async () => {
      // each broker processes notifications newer than the last it saw, in sequence order
      const processed = new Map<number, string[]>([[2, []], [3, []]]);
      const taken = new Map<number, Set<string>>([[2, new Set()], [3, new Set()]]);
      const arm = async (n: number): Promise<void> => {
        const kids = await b(n).childNames('/config/changes', () => void arm(n).catch(() => undefined));
        for (const k of [...kids].sort()) {
          if (taken.get(n)!.has(k)) continue;
          taken.get(n)!.add(k);
          const d = await b(n).getText(`/config/changes/${k}`).catch(() => null);
          if (d) processed.get(n)!.push(`${k} ${JSON.parse(d.data ?? 'null').entity_path}`);
        }
      };
      await arm(2);
      await arm(3);
      const names: string[] = [];
      for (const [i, topic] of ['t1', 't2', 't1'].entries()) {
        await admin.mkdirp(`/config/topics/${topic}`);
        await admin.setData(`/config/topics/${topic}`, json({ version: 1, config: { 'retention.ms': String(1000 * (i + 1)) } }));
        names.push(await admin.create('/config/changes/config_change_', json({ version: 2, entity_path: `topics/${topic}` }), Mode.PERSISTENT_SEQUENTIAL));
        const want = i + 1;
        check(await waitFor(() => processed.get(2)!.length >= want && processed.get(3)!.length >= want, 10_000), `brokers processed ${json([...processed])}`);
      }
      await sleep(100);
      // purge processed notifications (Kafka deletes the ones older than its expiry)
      for (const n of names) await admin.remove(n);
      const left = await admin.childNames('/config/changes');
      return { created: names, broker2: processed.get(2), broker3: processed.get(3), afterPurge: left };
    });

    await step('k_isr', async () => {
      const p = '/brokers/topics/t1/partitions/0/state';
      const leader = b(2);
      const ctl = b(3);
      const l0 = await leader.getText(p);
      const c0 = await ctl.getText(p);
      const r1 = await outcomeCode(leader.setData(p, json({ ...JSON.parse(l0.data!), isr: [2] }), l0.stat.version));
      const r2 = await outcomeCode(ctl.setData(p, json({ ...JSON.parse(c0.data!), leader: 3, leader_epoch: 1 }), c0.stat.version));
      const c1 = await ctl.getText(p);
      const r3 = await outcomeCode(ctl.setData(p, json({ ...JSON.parse(c1.data!), leader: 3, leader_epoch: 1 }), c1.stat.version));
      const fin = await admin.getText(p);
      return { results: [r1, r2, r3], final: JSON.parse(fin.data ?? 'null'), versions: [l0.stat.version, c1.stat.version, fin.stat.version] };
    });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
}

const SCENARIO: Scenario = { specs: SPECS, run: kafka };
const results = new Map<string, { row: Row; apache?: Outcome; zkts?: Outcome }>();

beforeAll(async () => {
  const r = await withPair((apache, zkts) => runBoth([SCENARIO], apache, zkts));
  for (const [k, v] of r) results.set(k, v);
}, 300_000);

afterAll(() => {
  writeResults(SUITE, SPECS.map((s) => results.get(s.id)?.row ?? judge(s, undefined, undefined)), results);
});

describe('Kafka-style ZooKeeper usage (node-zookeeper-client): Apache 3.8 vs zkts', () => {
  declareRowTests(SUITE, SPECS, (id) => results.get(id));
});
