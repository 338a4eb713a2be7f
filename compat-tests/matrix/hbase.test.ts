/**
 * Compatibility matrix, HBase-style use of ZooKeeper replayed with kazoo 2.8
 * (clients/hbase.py): active/backup master election on the ephemeral /hbase/master, region
 * servers as ephemerals under /hbase/rs with crash detection by session expiry (processes
 * SIGKILLed), WAL-splitting tasks for the dead server, /hbase/meta-region-server watched by
 * clients. Apache 3.8 vs zkts; rows in compat-tests/results/hbase.json.
 */
import { RowSpec, declarePythonSuite } from './harness';

const SPECS: RowSpec[] = [
  ['h_master_election', 'HBase: active master creates ephemeral /hbase/master; backups get NodeExists, register under /hbase/backup-masters and watch'],
  ['h_master_failover', "HBase: active master's process killed → its session expires, both backups woken, exactly one takes over"],
  ['h_region_servers', 'HBase: region servers as ephemerals under /hbase/rs; master detects a killed RS by session expiry and queues WAL splitting'],
  ['h_meta_location', 'HBase: clients watching /hbase/meta-region-server see meta move (versioned write by the master)'],
].map(([id, scenario]) => ({ id, client: 'kazoo 2.8', scenario }));

declarePythonSuite('hbase', 'hbase.py', 'HBase-style ZooKeeper usage (kazoo): Apache 3.8 vs zkts', SPECS);
