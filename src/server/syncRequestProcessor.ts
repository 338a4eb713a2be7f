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
  /** `lone`: the group is the server's only request in flight, so the flush may block the event loop. */
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
 * leave in request order. Writes arriving while an fsync is under way form the next group.
 */
export class SyncRequestProcessor {
  private readonly toFlush = new Deque<Request>();
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
    /** Requests the server has in flight (submitted, not finished). */
    private readonly inFlight: () => number = () => Infinity,
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
    if (this.log.synchronous && this.toFlush.length === 0) {
      this.forward(request);
      return;
    }
    if (!isTxn && this.toFlush.length === 0) {
      this.forward(request);
      return;
    }
    this.toFlush.push(request);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // Let the rest of this I/O turn's requests join the group before the fsync.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.toFlush.length === 0) return;
    this.flushing = true;
    const batch = this.toFlush.length;
    const lone = batch === 1 && this.inFlight() === 1;
    this.log.flush((err) => {
      this.flushing = false;
      if (err !== null) {
        this.onFatal(err);
        return;
      }
      if (this.failed) return;
      for (let i = 0; i < batch && !this.failed; i++) this.forward(this.toFlush.shift()!);
      // Reads queued behind this group can go once nothing is left in front of them.
      while (!this.failed && this.toFlush.length > 0 && this.toFlush.first().hdr === null) this.forward(this.toFlush.shift()!);
      if (this.failed) return;
      if (this.toFlush.length > 0) this.schedule();
    }, lone);
  }

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
      while (this.toFlush.length > 0) this.toFlush.shift();
      this.onFatal(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Resolves once every request handed in so far has gone through. */
  async drain(): Promise<void> {
    while (this.toFlush.length > 0 || this.flushing || this.scheduled) await new Promise((r) => setTimeout(r, 1));
  }

  get queued(): number {
    return this.toFlush.length;
  }
}
