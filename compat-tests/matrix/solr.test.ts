/**
 * Compatibility matrix, Solr-style (SolrCloud) use of ZooKeeper replayed with kazoo 2.8
 * (clients/solr.py): /live_nodes ephemerals, overseer election with ephemeral-sequential nodes
 * watching their predecessor, the /overseer/queue work queue of persistent-sequential nodes,
 * clusterstate updated by versioned writes with BadVersion retries; the overseer's process is
 * SIGKILLed. Apache 3.8 vs zkts; rows in compat-tests/results/solr.json.
 */
import { RowSpec, declarePythonSuite } from './harness';

const SPECS: RowSpec[] = [
  ['s_live_nodes', 'Solr: nodes register ephemeral /live_nodes/<node>; a ChildrenWatch sees all three'],
  ['s_overseer_election', 'Solr: overseer election with ephemeral-sequential /overseer_elect/election nodes; lowest leads, each candidate watches its predecessor'],
  ['s_overseer_failover', "Solr: overseer's process killed → session expiry wakes only its successor, which leads; /live_nodes drops it"],
  ['s_work_queue', "Solr: /overseer/queue persistent-sequential qn- nodes (incl. those the dead overseer left) consumed in order by the new overseer"],
  ['s_clusterstate', 'Solr: state.json read-modify-write by 3 concurrent updaters with versioned writes and BadVersion retries: no lost update'],
].map(([id, scenario]) => ({ id, client: 'kazoo 2.8', scenario }));

declarePythonSuite('solr', 'solr.py', 'Solr-style ZooKeeper usage (kazoo): Apache 3.8 vs zkts', SPECS);
