/**
 * Compatibility matrix, kazoo 2.8 recipes (python3-kazoo): clients/kazoo_recipes.py runs every
 * recipe scenario against a fresh Apache 3.8 and a fresh zkts at the same time; rows are
 * compared (see harness.ts) and written to compat-tests/results/kazoo.json.
 */
import { RowSpec, declarePythonSuite } from './harness';

const CLIENT = 'kazoo 2.8';

const SPECS: RowSpec[] = [
  ['lock_contention', 'Lock', 'mutual exclusion under contention (4 clients × 5 acquisitions)'],
  ['lock_holder_expires', 'Lock', "waiter acquires when the holder's session expires (holder process killed)"],
  ['lock_holder_closes', 'Lock', 'waiter acquires at once when the holder closes its session'],
  ['read_write_lock', 'ReadLock/WriteLock', 'readers share; writer waits for all readers; readers wait for writer'],
  ['semaphore', 'Semaphore', 'max_leases=2: third blocks until a release; ≤ 2 holders under contention (5 clients)'],
  ['semaphore_holder_expires', 'Semaphore', "lease freed when the holder's session expires"],
  ['election_close', 'Election', "failover A→B→C when the leader's session closes / leader steps down"],
  ['election_expire', 'Election', "failover when the leader's session expires (leader process killed)"],
  ['counter', 'Counter', 'concurrent increments sum correctly (4 clients × 25), decrement, float'],
  ['barrier', 'Barrier', 'waiters blocked until the barrier is removed'],
  ['double_barrier', 'DoubleBarrier', '3 members enter together and leave together'],
  ['queue', 'Queue', 'priority + FIFO order; 2 producers / 3 consumers: each item consumed once'],
  ['locking_queue', 'LockingQueue', 'entry locked by a crashed consumer is retaken after its session expires'],
  ['partitioner', 'SetPartitioner', 'two members split the set; the survivor takes all after the other leaves'],
  ['data_watch', 'DataWatch', 'create / set / set / delete / create seen in order with versions'],
  ['children_watch', 'ChildrenWatch', 'child added / added (ephemeral) / removed / owner session closed'],
  ['tree_cache', 'TreeCache', "converges after creates, updates, subtree delete, sequentials and a crashed owner's ephemeral"],
  ['session_stall', 'session', 'process stalled past its timeout (SIGSTOP): ephemeral deleted, client sees LOST on resume'],
  ['reconnect_link_cut', 'session', 'link cut and restored (proxy) within the timeout: same session, ephemeral kept; raw watches reset (kazoo sends no SetWatches), DataWatch/ChildrenWatch catch up'],
  ['expiry_event_order', 'session', "crashed owner of 30 ephemerals: the survivor's watches fire in Apache's deletion order"],
  ['transaction', 'transaction', 'commit results; failed check rolls back (RolledBackError); sync; get_children(include_data=True)'],
  ['four_letter_words', 'command() / server_version()', 'ruok, isro, envi, conf, mntr, srvr, stat, wchs, wchc, wchp, crst answers (shape, normalized)'],
  ['four_letter_words_order', 'command()', 'wchp path order after the watch table once held 200 watched paths'],
].map(([id, recipe, scenario]) => ({ id, client: CLIENT, recipe, scenario }));

declarePythonSuite('kazoo', 'kazoo_recipes.py', 'kazoo 2.8 recipes: Apache 3.8 vs zkts', SPECS);
