#!/usr/bin/python3
"""Differential kazoo client script: `kazoo_basic.py HOST:PORT`.

Runs a fixed sequence of kazoo (python3-kazoo 2.8) operations and prints one
JSON object per line (sorted keys). The output is normalized so that two fresh
servers (Apache ZooKeeper and zkts) running the same script produce identical
text: ctime/mtime become "recent"/"NOT-RECENT:<ms>", the client's own session
id becomes "self", zxids are printed as hex. Everything else (zxids, versions,
children order, error classes, watch event order) is printed verbatim.

Only stdout is meaningful; kazoo's own logging goes to stderr.
"""
import json
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_digest_acl

HOSTS = sys.argv[1]
START_MS = time.time() * 1000.0

zk = KazooClient(hosts=HOSTS, timeout=10.0, connection_retry=None)
lock = threading.Lock()
event_log = []  # (source, details) appended by watch callbacks, in callback order


def out(step, **kw):
    kw["step"] = step
    sys.stdout.write(json.dumps(kw, sort_keys=True) + "\n")
    sys.stdout.flush()


def hx(n):
    return hex(n)


def norm_time(ms):
    now = time.time() * 1000.0
    # Both servers are fresh and on this machine: any node time must lie in the script's lifetime.
    if START_MS - 60_000 <= ms <= now + 60_000:
        return "recent"
    return "NOT-RECENT:%d" % ms


def owner(sid):
    if sid == 0:
        return 0
    if zk.client_id is not None and sid == zk.client_id[0]:
        return "self"
    return "other:" + hex(sid)


def st(stat):
    if stat is None:
        return None
    return {
        "czxid": hx(stat.czxid),
        "mzxid": hx(stat.mzxid),
        "pzxid": hx(stat.pzxid),
        "ctime": norm_time(stat.ctime),
        "mtime": norm_time(stat.mtime),
        "version": stat.version,
        "cversion": stat.cversion,
        "aversion": stat.aversion,
        "ephemeralOwner": owner(stat.ephemeralOwner),
        "dataLength": stat.dataLength,
        "numChildren": stat.numChildren,
    }


def acl_list(acls):
    return [{"perms": a.perms, "scheme": a.id.scheme, "id": a.id.id} for a in acls]


def val(v):
    """JSON-friendly rendering of kazoo return values."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, bytes):
        return {"bytes": v.decode("utf-8", "replace")}
    if hasattr(v, "czxid") and hasattr(v, "numChildren"):
        return {"stat": st(v)}
    if isinstance(v, BaseException):
        return {"exception": type(v).__name__}
    if isinstance(v, (list, tuple)):
        return [val(x) for x in v]
    if isinstance(v, dict):
        return {k: val(x) for k, x in v.items()}
    return {"repr": repr(v)}


def attempt(step, fn, *args, **kwargs):
    """Runs fn and prints either its normalized result or the exception class name."""
    try:
        res = fn(*args, **kwargs)
    except (KazooException, ValueError, TypeError) as e:
        out(step, error=type(e).__name__)
        return None
    out(step, result=val(res))
    return res


def log_event(source, **details):
    with lock:
        event_log.append(dict(details, source=source))


def wait_events(n, timeout=5.0):
    """Waits until at least n watch callbacks were logged, then (settle) a bit more."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with lock:
            if len(event_log) >= n:
                break
        time.sleep(0.01)
    time.sleep(0.05)  # let any unexpected extra callbacks surface too
    with lock:
        return list(event_log)


def ev(event):
    if event is None:
        return None
    return {"type": event.type, "state": event.state, "path": event.path}


def flush_events(step, expected):
    evs = wait_events(expected)
    with lock:
        del event_log[:]
    out(step, events=evs, count=len(evs))


# ---------------------------------------------------------------------------
states = []
zk.add_listener(lambda s: states.append(str(s)))

zk.start(timeout=15)
out(
    "start",
    connected=zk.connected,
    state=str(zk.state),
    negotiated_timeout_ms=zk._session_timeout,
    session_id_nonzero=zk.client_id is not None and zk.client_id[0] != 0,
    password_len=len(zk.client_id[1]) if zk.client_id else None,
)

# ensure_path / create
attempt("ensure_path /kz/a/b", zk.ensure_path, "/kz/a/b")
attempt("ensure_path /kz/a/b again", zk.ensure_path, "/kz/a/b")
attempt("create /kz/node", zk.create, "/kz/node", b"v0")
attempt("create /kz/node exists", zk.create, "/kz/node", b"dup")
attempt("create /kz/missing/child", zk.create, "/kz/missing/child", b"x")
attempt("create makepath", zk.create, "/kz/deep/x/y", b"deep", makepath=True)
attempt("create ephemeral", zk.create, "/kz/eph", b"e", ephemeral=True)
attempt("create child of ephemeral", zk.create, "/kz/eph/child", b"c")
attempt("create sequence 1", zk.create, "/kz/seq-", b"s1", sequence=True)
attempt("create sequence 2", zk.create, "/kz/seq-", b"s2", sequence=True)
attempt("create ephemeral sequence", zk.create, "/kz/eseq-", b"", ephemeral=True, sequence=True)
attempt("create include_data", zk.create, "/kz/withstat", b"abc", include_data=True)
attempt("create empty value", zk.create, "/kz/empty")
attempt("create trailing slash (kazoo normalizes it away)", zk.create, "/kz/bad/", b"")

# get
attempt("get /kz/node", zk.get, "/kz/node")
attempt("get /kz/eph", zk.get, "/kz/eph")
attempt("get /kz/empty", zk.get, "/kz/empty")
attempt("get /kz/nope", zk.get, "/kz/nope")
attempt("get /", zk.get, "/")

# set
attempt("set v0->v1 version=0", zk.set, "/kz/node", b"v1", version=0)
attempt("set stale version=0", zk.set, "/kz/node", b"stale", version=0)
attempt("set any version", zk.set, "/kz/node", b"v2")
attempt("set /kz/nope", zk.set, "/kz/nope", b"x")
attempt("get after set", zk.get, "/kz/node")

# children
attempt("get_children /kz", zk.get_children, "/kz")
attempt("get_children include_data /kz", zk.get_children, "/kz", include_data=True)
attempt("get_children /kz/nope", zk.get_children, "/kz/nope")
attempt("get_children /", zk.get_children, "/")

# exists
attempt("exists /kz/node", zk.exists, "/kz/node")
attempt("exists /kz/nope", zk.exists, "/kz/nope")

# ACLs
attempt("get_acls /kz/node", lambda p: (acl_list(zk.get_acls(p)[0]), zk.get_acls(p)[1]), "/kz/node")
attempt("set_acls read-only", zk.set_acls, "/kz/withstat", READ_ACL_UNSAFE)
attempt(
    "get_acls read-only",
    lambda p: (acl_list(zk.get_acls(p)[0]), zk.get_acls(p)[1]),
    "/kz/withstat",
)
attempt("set on read-only", zk.set, "/kz/withstat", b"no")
attempt("set_acls without ADMIN perm", zk.set_acls, "/kz/withstat", OPEN_ACL_UNSAFE)
attempt("set_acls stale aversion", zk.set_acls, "/kz/node", OPEN_ACL_UNSAFE, version=3)
attempt("set_acls aversion 0", zk.set_acls, "/kz/node", OPEN_ACL_UNSAFE, version=0)
digest = make_digest_acl("user", "pass", all=True)
attempt("create digest acl", zk.create, "/kz/secret", b"s", acl=[digest])
attempt("get digest acl no auth", zk.get, "/kz/secret")
attempt(
    "get_acls digest",
    lambda p: (acl_list(zk.get_acls(p)[0]), zk.get_acls(p)[1]),
    "/kz/secret",
)
attempt("add_auth digest", zk.add_auth, "digest", "user:pass")
attempt("get digest acl with auth", zk.get, "/kz/secret")
attempt(
    "get_acls digest with auth",
    lambda p: (acl_list(zk.get_acls(p)[0]), zk.get_acls(p)[1]),
    "/kz/secret",
)
attempt("create auth acl", zk.create, "/kz/authacl", b"", acl=[make_digest_acl("user", "pass", read=True)])

# transactions
t = zk.transaction()
t.create("/kz/tx1", b"a")
t.set_data("/kz/node", b"tx")
t.check("/kz/node", 99)
t.delete("/kz/empty")
attempt("transaction failing check", t.commit)
attempt("tx1 absent after rollback", zk.exists, "/kz/tx1")
t = zk.transaction()
t.create("/kz/tx1", b"a")
t.check("/kz/node", 2)
t.set_data("/kz/node", b"tx", version=2)
t.create("/kz/tx-seq-", b"", sequence=True)
t.delete("/kz/empty")
attempt("transaction ok", t.commit)
t = zk.transaction()
t.create("/kz/tx1", b"again")
attempt("transaction node exists", t.commit)

# one-shot watches
attempt("exists watch /kz/w1", zk.exists, "/kz/w1", watch=lambda e: log_event("exists-watch", event=ev(e)))
attempt("create /kz/w1", zk.create, "/kz/w1", b"1")
flush_events("events after create /kz/w1", 1)
attempt("get watch /kz/w1", zk.get, "/kz/w1", watch=lambda e: log_event("get-watch", event=ev(e)))
attempt(
    "get_children watch /kz/w1",
    zk.get_children,
    "/kz/w1",
    watch=lambda e: log_event("children-watch", event=ev(e)),
)
attempt("create /kz/w1/c", zk.create, "/kz/w1/c", b"")
flush_events("events after create /kz/w1/c", 1)
attempt("set /kz/w1", zk.set, "/kz/w1", b"2")
flush_events("events after set /kz/w1", 1)
attempt("set /kz/w1 again (no watch left)", zk.set, "/kz/w1", b"3")
flush_events("events after second set /kz/w1", 0)

# DataWatch / ChildrenWatch recipes
zk.DataWatch(
    "/kz/watched",
    lambda data, stat, event: log_event(
        "DataWatch",
        data=None if data is None else data.decode(),
        version=None if stat is None else stat.version,
        event=ev(event),
    ),
)
flush_events("DataWatch initial (no node)", 1)
attempt("create /kz/watched", zk.create, "/kz/watched", b"w0")
flush_events("DataWatch after create", 1)
attempt("set /kz/watched", zk.set, "/kz/watched", b"w1")
flush_events("DataWatch after set", 1)
zk.ChildrenWatch(
    "/kz/watched",
    lambda children, event: log_event("ChildrenWatch", children=list(children), event=ev(event)),
    send_event=True,
)
flush_events("ChildrenWatch initial", 1)
attempt("create /kz/watched/c1", zk.create, "/kz/watched/c1", b"")
flush_events("ChildrenWatch after create c1", 1)
attempt("create /kz/watched/c2", zk.create, "/kz/watched/c2", b"")
flush_events("ChildrenWatch after create c2", 1)
attempt("set child (no children event)", zk.set, "/kz/watched/c1", b"x")
flush_events("after set child", 0)
attempt("delete /kz/watched/c1", zk.delete, "/kz/watched/c1")
flush_events("ChildrenWatch after delete c1", 1)
attempt("delete /kz/watched/c2", zk.delete, "/kz/watched/c2")
flush_events("ChildrenWatch after delete c2", 1)
attempt("delete /kz/watched", zk.delete, "/kz/watched")
# DataWatch fires with None; ChildrenWatch stops silently on NoNode
flush_events("watches after delete /kz/watched", 1)

# sync
attempt("sync /kz", zk.sync, "/kz")
attempt("sync /", zk.sync, "/")

# delete
attempt("delete stale version", zk.delete, "/kz/node", version=7)
attempt("delete not empty", zk.delete, "/kz/a")
attempt("delete /kz/nope", zk.delete, "/kz/nope")
attempt("delete /kz/node version=3", zk.delete, "/kz/node", version=3)
attempt("get_children before recursive delete", zk.get_children, "/kz")
attempt("delete /kz recursive", zk.delete, "/kz", recursive=True)
attempt("exists /kz after delete", zk.exists, "/kz")
attempt("get_children / at end", zk.get_children, "/")

zk.stop()
zk.close()
out("stop", connected=zk.connected, state=str(zk.state), states=states)
