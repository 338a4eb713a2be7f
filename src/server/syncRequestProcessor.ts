import { TxnHeader } from '../jute/records';
import { TxnBody } from '../tree/txn';
import { Deque } from '../util/deque';
import { Request } from './request';

/**
 * Where txns become durable. `append` queues a txn; `flush` makes everything appended so far durable
 * (one fsync for the whole group) and then calls back. The in-memory log is durable at once.
 */
export interface TxnLogSink {
  append(hdr: TxnHeader, txn: TxnBody): void;
  /**
   * `lone`: no client has anything else on the way (the server's only client and its one request, or
   * clients with one request each, all in this group), so the flush may block the event loop.
   */
  flush(done: (err: Error | null) => void, lone?: boolean): void;
  /** True when append+flush complete synchronously (no disk), so requests need not queue. */
  readonly synchronous: boolean;
}

export class InMemoryTxnLog implements TxnLogSink {
  readonly synchronous = true;
  append(): void {}
  flush(done: (err: Error | null) => void): void {
    done(null);
  }
}

/**
 * The log stage (SyncRequestProcessor): writes go to the txn log and wait for their group's fsync;
 * reads wait behind any write ahead of them, so that every client sees its own writes and replies
 * leave in request order. Writes arriving while an fsync is under way form the next group, and its
 * fsync starts as soon as the one under way ends, before that group is applied: the disk works while
 * the CPU applies and answers (Apache's SyncRequestProcessor is a thread of its own for the same reason).
 */
/**
 * Whether every request of `group` is all its client has sent: each connection's only request in the
 * server, with nothing more of it read or buffered. Then the group's fsync may block the event loop too:
 * its clients wait for it and have nothing else on the way, and whatever another client sends meanwhile
 * would queue behind this group anyway (reads wait behind writes); the hand-off to the thread pool and
 * back would only add two wake-ups (32 clients with one write each in flight: ~15 % less CPU per write
 * here). A pipelining client fails the test, so its next requests are read and form the next group while
 * this one syncs. Requests of no connection (an expired session's close) keep the thread pool.
 */
function soleRequests(group: Deque<Request>): boolean {
  for (let i = 0; i < group.length; i++) {
    const c = group.at(i).cnxn;
    if (c === null || !c.soleRequest()) return false;
  }
  return true;
}

export class SyncRequestProcessor {
  /** Appended, waiting for the next fsync (and reads behind them). */
  private toFlush = new Deque<Request>();
  /** Covered by the fsync under way, in order. */
  private syncing = new Deque<Request>();
  /** Made durable, being handed on (kept to reuse). */
  private durable = new Deque<Request>();
  private flushing = false;
  private scheduled = false;
  /** Set once applying a request threw: like Apache's dead SyncRequestProcessor thread, nothing more goes through. */
  private failed = false;

  constructor(
    private log: TxnLogSink,
    private readonly next: { processRequest(r: Request): void },
    private readonly onFatal: (err: Error) => void,
    /** Called after each append: the place to roll the log and start a snapshot. */
    private readonly afterAppend: () => void = () => undefined,
    /**
     * Whether the server's one client is waiting on a lone request, nothing else is in flight and no more
     * of its frames are at hand: then nothing can join the request's group, so it is flushed at once, and
     * the fsync may block the event loop, as nobody else would be served meanwhile.
     */
    private readonly alone: () => boolean = () => false,
    /**
     * A group this large is flushed at once rather than at the end of the I/O turn. Half the server's
     * outstanding limit: when a full limit's worth forms one group, the next can only be read once it is
     * applied, and the disk and the CPU take turns instead of working together.
     */
    private readonly maxGroup = Infinity,
    /**
     * Runs `forward`, which hands a durable group on: the server sends the replies it produces together
     * once the whole group is through, in the same turn.
     */
    private readonly handOff: (forward: () => void) => void = (forward) => forward(),
  ) {}

  setLog(log: TxnLogSink): void {
    this.log = log;
  }

  processRequest(request: Request): void {
    if (this.failed) return;
    const isTxn = request.hdr !== null;
    if (isTxn) {
      this.log.append(request.hdr!, request.txn);
      this.afterAppend();
    }
    const idle = this.toFlush.length === 0 && this.syncing.length === 0 && this.durable.length === 0;
    if (idle && (this.log.synchronous || !isTxn)) {
      this.forward(request);
      return;
    }
    this.toFlush.push(request);
    if (!this.flushing && (this.toFlush.length >= this.maxGroup || (idle && this.alone()))) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // Let the rest of this I/O turn's requests join the group before the fsync.
    setImmediate(this.flushLater);
  }

  // Made once: an arrow function made in schedule would cost a context on every call (every request).
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.flushing || this.toFlush.length === 0) return;
    this.flushing = true;
    // The waiting requests become the group under way (the deques swap; `syncing` is empty here).
    const group = this.toFlush;
    this.toFlush = this.syncing;
    this.syncing = group;
    // A lone flush blocks and calls back at once: never while a group is being handed on (flushed()
    // starts the next fsync first), which it would overtake.
    const lone = this.durable.length === 0 && ((group.length === 1 && this.alone()) || soleRequests(group));
    this.log.flush((err) => this.flushed(err), lone);
  }

  private flushed(err: Error | null): void {
    this.flushing = false;
    if (err !== null) {
      this.onFatal(err);
      return;
    }
    if (this.failed) return;
    // `durable` is empty here: the last group was handed on before its successor's fsync could end.
    const done = this.syncing;
    this.syncing = this.durable;
    this.durable = done;
    // Reads right behind the group go with it: nothing ahead of them is left.
    while (this.toFlush.length > 0 && this.toFlush.first().hdr === null) done.push(this.toFlush.shift()!);
    // The next group's fsync first, then this one is applied while the disk works. (It starts with a
    // write, so its flush cannot call back before this hand-off is done.)
    if (!this.log.synchronous) this.flush();
    this.handOff(this.forwardDurable);
    if (this.failed) return;
    // Requests that came in while the group was handed on (nothing else can have joined).
    if (this.toFlush.length > 0) this.schedule();
  }

  private readonly forwardDurable = (): void => {
    const done = this.durable;
    while (done.length > 0 && !this.failed) this.forward(done.shift()!);
  };

  /**
   * Hands a durable request to the next stage. An exception there (applying the txn) leaves the tree in
   * a state no replica shares, so it is fatal, as ZooKeeperCriticalThread.handleException makes it in
   * Apache: the server stops and the requests behind it are never answered. Client input never gets this
   * far in zkts (the requests that stop Apache this way are refused in prep or applied harmlessly); this
   * is for bugs.
   */
  private forward(request: Request): void {
    try {
      this.next.processRequest(request);
    } catch (e) {
      this.failed = true;
      this.toFlush.clear();
      this.syncing.clear();
      this.durable.clear();
      this.onFatal(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Resolves once every request handed in so far has gone through. */
  async drain(): Promise<void> {
    while (this.toFlush.length > 0 || this.syncing.length > 0 || this.flushing || this.scheduled) await new Promise((r) => setTimeout(r, 1));
  }

  get queued(): number {
    return this.toFlush.length + this.syncing.length;
  }
}
