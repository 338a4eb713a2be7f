import type { Request } from './request';

/**
 * What a ZooKeeperServer reports to whoever keeps its metrics (the admin side's ServerMetrics), at the
 * points where Apache's ZooKeeperServer, SyncRequestProcessor and FileTxnLog record into ServerMetrics.
 * The server holds at most one observer (`ZooKeeperServer.observer`); with none installed each hook
 * costs a null check, and nothing is measured or computed for it.
 */
export interface ZooKeeperServerObserver {
  /**
   * ServerStats.updateLatency: a request left the pipeline `latency` ms after it arrived (the value the
   * server just added to ServerStats). A request with a txn header is an update, one without a read.
   */
  requestFinished(request: Request, latency: number): void;
  /** processConnectRequest was called (before the ConnectRequest is parsed). */
  connectRequest(): void;
  /** checkQuota refuses the write to `path` (the znode written, not the quota's path) with QUOTAEXCEEDED. */
  quotaExceeded(path: string): void;
  /** FileTxnLog.commit: one fsync of the txn log took `ms` (fractional). */
  fsyncDone(ms: number): void;
  /** A snapshot (the one at start-up or a later one) was written in `ms`. */
  snapshotTaken(ms: number): void;
  /** Start-up: restoring snapshot + logs took `ms` and replayed `txns` txns from the logs. */
  databaseLoaded(ms: number, txns: number): void;
}
