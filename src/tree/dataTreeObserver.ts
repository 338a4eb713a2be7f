/**
 * What a DataTree and its WatchManagers report to whoever keeps the server's metrics, at the points
 * where Apache's DataTree (updateReadStat / updateWriteStat) and WatchManager.triggerWatch record into
 * ServerMetrics. Installed with DataTree.setObserver; with none installed each hook costs a null check
 * and its arguments are not computed.
 */

/** WatchManager.triggerWatch: an event of `type` reached `count` (> 0) watchers, suppressed ones included. */
export interface WatchManagerObserver {
  watchesTriggered(type: number, count: number): void;
}

export interface DataTreeObserver extends WatchManagerObserver {
  /**
   * A read succeeded: getData (`bytes` = data length), statNode (0) or getChildren (the child names'
   * lengths summed). Every call counts, whoever the caller.
   */
  updateReadStat(path: string, bytes: number): void;
  /**
   * A write was applied: createNode and setData (`bytes` = the data given), deleteNode (0); including
   * those of log replay, multis and a closed session's ephemerals.
   */
  updateWriteStat(path: string, bytes: number): void;
}
