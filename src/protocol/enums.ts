/** Watcher.Event.EventType */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;

/** Watcher.Event.KeeperState */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;

/** Watcher.WatcherType (removeWatches / checkWatches). */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
  Persistent: 4,
  PersistentRecursive: 5,
} as const;

/** ZooDefs.AddWatchModes */
export const AddWatchMode = {
  persistent: 0,
  persistentRecursive: 1,
} as const;

/** ZooDefs.Perms */
export const Perms = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;

/** CreateMode flags. */
export const CreateFlag = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

export interface CreateMode {
  readonly flag: number;
  readonly ephemeral: boolean;
  readonly sequential: boolean;
  readonly container: boolean;
  readonly ttl: boolean;
}

const modes: CreateMode[] = [
  { flag: 0, ephemeral: false, sequential: false, container: false, ttl: false },
  { flag: 1, ephemeral: true, sequential: false, container: false, ttl: false },
  { flag: 2, ephemeral: false, sequential: true, container: false, ttl: false },
  { flag: 3, ephemeral: true, sequential: true, container: false, ttl: false },
  { flag: 4, ephemeral: false, sequential: false, container: true, ttl: false },
  { flag: 5, ephemeral: false, sequential: false, container: false, ttl: true },
  { flag: 6, ephemeral: false, sequential: true, container: false, ttl: true },
];

/** CreateMode.fromFlag: null for a flag Apache rejects (BadArguments). */
export function createModeFromFlag(flag: number): CreateMode | null {
  return flag >= 0 && flag < modes.length ? modes[flag] : null;
}
