#!/usr/bin/python3
"""kazoo 2.8 recipes against one server: `kazoo_recipes.py HOST:PORT [row-id ...]`.

One JSON line per row (see zkmatrix.py). Every row works under its own root /kr/<row-id>.
"""
import re
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout, NoNodeError
from kazoo.protocol.states import EventType, KazooState
from kazoo.recipe.barrier import Barrier, DoubleBarrier
from kazoo.recipe.cache import TreeCache, TreeEvent
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock, ReadLock, Semaphore, WriteLock
from kazoo.recipe.partitioner import SetPartitioner
from kazoo.recipe.queue import LockingQueue, Queue
from kazoo.recipe.watchers import ChildrenWatch, DataWatch

import zkmatrix as m
from zkmatrix import Check, Victim, check, client, spawn, wait_for


class Holders(object):
    """Counts concurrent holders of a critical section (in this process)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.max = 0
        self.total = 0

    def enter(self):
        with self.lock:
            self.now += 1
            self.total += 1
            self.max = max(self.max, self.now)

    def leave(self):
        with self.lock:
            self.now -= 1


def contend(n_clients, per_client, make, hold=0.01):
    h = Holders()
    errors = []
    zks = [client() for _ in range(n_clients)]

    def worker(i):
        try:
            prim = make(zks[i], i)
            for _ in range(per_client):
                check(prim.acquire(timeout=20), "acquire timed out")
                h.enter()
                time.sleep(hold)
                h.leave()
                prim.release()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [spawn(worker, i) for i in range(n_clients)]
    for t in ts:
        t.join(45)
    check(not errors, "worker errors: %s" % errors)
    check(all(not t.is_alive() for t in ts), "workers did not finish")
    return h


def try_acquire(prim, timeout):
    """acquire(timeout=...) raises LockTimeout in kazoo 2.8; False here."""
    try:
        return prim.acquire(timeout=timeout)
    except LockTimeout:
        return False


# ---------------------------------------------------------------------------
# Lock


def lock_contention():
    root = "/kr/lock_contention"
    h = contend(4, 5, lambda zk, i: Lock(zk, root, "c%d" % i))
    zk = client()
    left = zk.get_children(root)
    check(h.max == 1, "max concurrent holders %d" % h.max)
    check(h.total == 20, "acquisitions %d" % h.total)
    check(left == [], "leftover lock nodes %s" % left)
    return {"max_holders": h.max, "acquisitions": h.total, "leftover_nodes": len(left)}


def lock_holder_expires():
    root = "/kr/lock_expire"
    v = Victim("Lock(zk, %r, 'victim').acquire(timeout=10)" % root)
    zk = client()
    lk = Lock(zk, root, "survivor")
    blocked = not try_acquire(lk, 0.5)
    got = []
    t = spawn(lambda: got.append(lk.acquire(timeout=20)))
    wait_for(lambda: len(lk.contenders()) == 2, 5)
    before = lk.contenders()
    time.sleep(0.3)
    early = bool(got)
    v.crash()
    t.join(25)
    after = lk.contenders()
    check(blocked and not early, "survivor acquired while the victim held the lock")
    check(got == [True], "survivor never acquired after the holder's session expired")
    lk.release()
    return {"blocked_while_held": blocked, "contenders_before": before,
            "acquired_after_expiry": got == [True], "contenders_after": after}


def lock_holder_closes():
    root = "/kr/lock_close"
    holder = client()
    hl = Lock(holder, root, "holder")
    check(hl.acquire(timeout=5), "holder could not acquire")
    zk = client()
    lk = Lock(zk, root, "waiter")
    got = []
    t = spawn(lambda: got.append(lk.acquire(timeout=15)))
    wait_for(lambda: len(lk.contenders()) == 2, 5)
    before = lk.contenders()
    time.sleep(0.3)
    early = bool(got)
    t0 = time.time()
    holder.stop()
    t.join(20)
    fast = time.time() - t0 < 3.0
    check(not early, "waiter acquired while the holder held the lock")
    check(got == [True], "waiter never acquired after the holder closed its session")
    check(fast, "waiter acquired only %.1fs after close" % (time.time() - t0))
    return {"contenders_before": before, "acquired_after_close": True,
            "contenders_after": lk.contenders()}


def read_write_lock():
    root = "/kr/rwlock"
    zr1, zr2, zw, zr3 = client(), client(), client(), client()
    rl1, rl2 = ReadLock(zr1, root, "r1"), ReadLock(zr2, root, "r2")
    both_read = rl1.acquire(timeout=5) and rl2.acquire(timeout=5)
    wl = WriteLock(zw, root, "w")
    w_blocked = not try_acquire(wl, 0.5)
    got_w = []
    t = spawn(lambda: got_w.append(wl.acquire(timeout=15)))
    time.sleep(0.3)
    w_early = bool(got_w)
    rl1.release()
    time.sleep(0.3)
    w_after_one = bool(got_w)
    rl2.release()
    t.join(20)
    rl3 = ReadLock(zr3, root, "r3")
    r_blocked = not try_acquire(rl3, 0.5)
    wl.release()
    r_after = rl3.acquire(timeout=10)
    rl3.release()
    obs = {"readers_share": bool(both_read), "writer_blocked_by_readers": w_blocked and not w_early,
           "writer_waits_for_all_readers": not w_after_one, "writer_acquires": got_w == [True],
           "reader_blocked_by_writer": r_blocked, "reader_after_writer": bool(r_after)}
    check(all(obs.values()), "read/write lock semantics: %s" % obs)
    return obs


def semaphore():
    root = "/kr/semaphore"
    a, b, c = client(), client(), client()
    sa, sb, sc = (Semaphore(a, root, "a", max_leases=2), Semaphore(b, root, "b", max_leases=2),
                  Semaphore(c, root, "c", max_leases=2))
    two = sa.acquire(timeout=5) and sb.acquire(timeout=5)
    holders = sorted(sa.lease_holders())
    third_blocked = not try_acquire(sc, 0.5)
    got = []
    t = spawn(lambda: got.append(sc.acquire(timeout=10)))
    time.sleep(0.3)
    early = bool(got)
    sa.release()
    t.join(15)
    sb.release()
    sc.release()
    h = contend(5, 3, lambda zk, i: Semaphore(zk, root + "/contend", "c%d" % i, max_leases=2),
                hold=0.05)
    obs = {"two_leases": bool(two), "holders": holders, "third_blocked": third_blocked and not early,
           "third_after_release": got == [True], "contention_max_le_2": h.max <= 2,
           "acquisitions": h.total}
    check(obs["two_leases"] and obs["third_blocked"] and obs["third_after_release"]
          and obs["contention_max_le_2"] and h.total == 15, "semaphore: %s (max %d)" % (obs, h.max))
    return obs


def semaphore_holder_expires():
    root = "/kr/semaphore_expire"
    v = Victim("Semaphore(zk, %r, 'victim', max_leases=1).acquire(timeout=10)" % root)
    zk = client()
    s = Semaphore(zk, root, "survivor", max_leases=1)
    blocked = not try_acquire(s, 0.5)
    holders_before = s.lease_holders()
    v.crash()
    got = s.acquire(timeout=20)
    holders_after = s.lease_holders()
    check(blocked and got, "lease not freed by the holder's session expiry")
    s.release()
    return {"blocked": blocked, "holders_before": holders_before, "acquired_after_expiry": got,
            "holders_after": holders_after}


# ---------------------------------------------------------------------------
# Election


class Contender(object):
    def __init__(self, zk, root, name, log):
        self.zk, self.name, self.log = zk, name, log
        self.election = Election(zk, root, name)
        self.leading = threading.Event()
        self.stop = threading.Event()
        self.thread = spawn(self.election.run, self.lead)

    def lead(self):
        self.log.append(self.name)
        self.leading.set()
        self.stop.wait(60)


def election_close():
    root = "/kr/election_close"
    log = []
    a = Contender(client(), root, "A", log)
    check(a.leading.wait(10), "A never led")
    b = Contender(client(), root, "B", log)
    wait_for(lambda: len(a.election.contenders()) == 2, 5)
    c = Contender(client(), root, "C", log)
    wait_for(lambda: len(a.election.contenders()) == 3, 5)
    before = b.election.contenders()
    time.sleep(0.3)
    leaders_before = list(log)
    a.zk.stop()  # A's session closes while it leads
    check(b.leading.wait(10), "B did not take over after A's session closed")
    time.sleep(0.3)
    after_a = b.election.contenders()
    b.stop.set()  # B steps down (its leader function returns)
    check(c.leading.wait(10), "C did not take over after B stepped down")
    a.stop.set()
    c.stop.set()
    return {"contenders": before, "leaders_before_close": leaders_before, "leaders": log,
            "contenders_after_close": after_a}


def election_expire():
    root = "/kr/election_expire"
    log = []
    v = Victim("ev = threading.Event()\n"
               "threading.Thread(target=Election(zk, %r, 'A').run, daemon=True,\n"
               "                 args=(lambda: (ev.set(), time.sleep(3600)),)).start()\n"
               "emit('LEADING' if ev.wait(10) else 'NOT LEADING')" % root)
    check(v.lines[-1:] == ["LEADING"], "victim did not lead: %s" % v.lines)
    zk = client()
    b = Contender(zk, root, "B", log)
    c = Contender(client(), root, "C", log)
    wait_for(lambda: len(b.election.contenders()) == 3, 5)
    before = b.election.contenders()
    time.sleep(0.5)
    early = list(log)
    v.crash()
    check(b.leading.wait(20), "B did not take over after A's session expired")
    time.sleep(0.3)
    after = b.election.contenders()
    check(early == [], "someone led while A was alive: %s" % early)
    b.stop.set()
    check(c.leading.wait(10), "C did not take over after B stepped down")
    c.stop.set()
    return {"contenders": before, "leaders_while_A_alive": early, "leaders_after": log,
            "contenders_after_expiry": after}


# ---------------------------------------------------------------------------
# Counter, barriers, queues, partitioner


def counter():
    root = "/kr/counter"
    zks = [client() for _ in range(4)]
    errors = []

    def worker(zk):
        try:
            c = Counter(zk, root)
            for _ in range(25):
                c += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [spawn(worker, zk) for zk in zks]
    for t in ts:
        t.join(45)
    c = Counter(zks[0], root)
    total = c.value
    c -= 30
    after_sub = c.value
    f = Counter(zks[1], root + "_float", default=0.5)
    f += 1.25
    fl = f.value
    check(not errors, "errors: %s" % errors)
    check(total == 100, "4 clients x 25 increments gave %s" % total)
    return {"after_concurrent_increments": total, "after_minus_30": after_sub, "float": fl}


def barrier():
    root = "/kr/barrier"
    zk = client()
    b = Barrier(zk, root)
    b.create()
    released = []
    waiters = [client() for _ in range(3)]
    ts = [spawn(lambda w=w: released.append(Barrier(w, root).wait(15))) for w in waiters]
    time.sleep(0.7)
    early = len(released)
    b.remove()
    for t in ts:
        t.join(20)
    open_wait = Barrier(zk, root + "/absent").wait(1)
    check(early == 0 and released == [True] * 3, "barrier: early=%d released=%s" % (early, released))
    return {"released_before_remove": early, "released_after_remove": len(released),
            "wait_on_absent_barrier": open_wait}


def double_barrier():
    root = "/kr/double_barrier"
    zks = [client() for _ in range(3)]
    bars = [DoubleBarrier(zk, root, 3, "m%d" % i) for i, zk in enumerate(zks)]
    entered, left = [], []
    ts = [spawn(lambda b=b, i=i: (b.enter(), entered.append(i))) for i, b in enumerate(bars[:2])]
    time.sleep(0.7)
    early_enter = len(entered)
    t3 = spawn(lambda: (bars[2].enter(), entered.append(2)))
    for t in ts + [t3]:
        t.join(15)
    all_in = sorted(entered)
    ls = [spawn(lambda b=b, i=i: (b.leave(), left.append(i))) for i, b in enumerate(bars[:2])]
    time.sleep(0.7)
    early_leave = len(left)
    l3 = spawn(lambda: (bars[2].leave(), left.append(2)))
    for t in ls + [l3]:
        t.join(15)
    obs = {"entered_before_third": early_enter, "entered": all_in,
           "left_before_third": early_leave, "left": sorted(left)}
    check(early_enter == 0 and all_in == [0, 1, 2] and sorted(left) == [0, 1, 2],
          "double barrier: %s" % obs)
    return obs


def queue():
    root = "/kr/queue"
    zk = client()
    q = Queue(zk, root)
    for v, prio in ((b"low1", 200), (b"high1", 10), (b"mid", 100), (b"high2", 10), (b"low2", 200)):
        q.put(v, priority=prio)
    order = [q.get().decode() for _ in range(5)]
    empty = q.get()
    # concurrent producers and consumers: every item consumed exactly once
    prods, cons = [client() for _ in range(2)], [client() for _ in range(3)]
    for i, p in enumerate(prods):
        pq = Queue(p, root + "/c")
        for k in range(20):
            pq.put(("p%d-%02d" % (i, k)).encode())
    got, lk = [], threading.Lock()

    def consume(c):
        cq = Queue(c, root + "/c")
        while True:
            v = cq.get()
            if v is None:
                return
            with lk:
                got.append(v.decode())

    ts = [spawn(consume, c) for c in cons]
    for t in ts:
        t.join(30)
    dup = len(got) - len(set(got))
    check(len(got) == 40 and dup == 0, "consumed %d items, %d duplicates" % (len(got), dup))
    # No per-producer order here: three consumers append what they took in whatever order their
    # threads run, so it varies from run to run on either server (Apache itself gave [true, false]).
    # The FIFO order of one consumer is priority_fifo_order above.
    return {"priority_fifo_order": order, "empty_get": empty, "consumed": len(got),
            "duplicates": dup}


def locking_queue():
    root = "/kr/locking_queue"
    zk = client()
    q = LockingQueue(zk, root)
    q.put_all([b"a", b"b"])
    q.put(b"urgent", priority=1)
    first = q.get(5).decode()
    holds = q.holds_lock()
    q.consume()
    # a consumer takes an entry and crashes before consuming it
    v = Victim("q = LockingQueue(zk, %r)\nemit(q.get(5).decode())" % root)
    taken = v.lines[-1] if v.lines else None
    z2 = client()
    q2 = LockingQueue(z2, root)
    nxt = q2.get(5).decode()
    q2.consume()
    locked = q2.get(0.5)  # the crashed consumer's entry stays locked while its session lives
    v.crash()
    retaken = (q2.get(20) or b"").decode()
    q2.consume()
    rest = q2.get(0.5)
    obs = {"first": first, "holds_lock": holds, "taken_by_crashing_consumer": taken,
           "next_for_survivor": nxt, "locked_entry_hidden": locked is None,
           "retaken_after_expiry": retaken,
           "queue_empty_after": rest is None, "length": len(q2)}
    check(taken == "a" and nxt == "b" and locked is None and retaken == "a" and rest is None,
          "locking queue: %s" % obs)
    return obs


def partitioner():
    root = "/kr/partitioner"
    items = list(range(8))
    z1, z2 = client(), client()
    state = {}
    stops = {"m1": threading.Event(), "m2": threading.Event()}

    def member(zk, name):
        p = SetPartitioner(zk, root, items, identifier=name, time_boundary=0.5)
        while not stops[name].is_set():
            if p.failed:
                state[name] = "failed"
                return
            if p.release:
                p.release_set()
            elif p.acquired:
                state[name] = sorted(p)
                p.state_change_event.wait(0.1)
                p.state_change_event.clear()
            elif p.allocating:
                p.wait_for_acquire(2)
        p.finish()

    t1 = spawn(member, z1, "m1")
    wait_for(lambda: state.get("m1") == items, 15)
    alone = state.get("m1")
    t2 = spawn(member, z2, "m2")
    split = wait_for(lambda: (len(state.get("m1", [])) == 4 and len(state.get("m2", [])) == 4
                              and (state["m1"], state["m2"])), 20)
    stops["m2"].set()
    t2.join(10)
    z2.stop()
    rejoin = wait_for(lambda: state.get("m1") == items, 20)
    stops["m1"].set()
    t1.join(10)
    obs = {"alone": alone, "split": list(split) if split else None, "after_leave": state.get("m1")}
    check(alone == items and split and sorted(split[0] + split[1]) == items and rejoin,
          "partitioner: %s" % obs)
    return obs


# ---------------------------------------------------------------------------
# Watchers and TreeCache


def data_watch():
    path = "/kr/data_watch/node"
    zk = client()
    zk.ensure_path("/kr/data_watch")
    seen, cv = [], threading.Condition()

    def cb(data, stat, event):
        with cv:
            seen.append([data.decode() if data is not None else None,
                         stat.version if stat else None,
                         str(event.type) if event else None])
            cv.notify_all()

    DataWatch(zk, path, cb)

    def step(op, n):
        op()
        with cv:
            cv.wait_for(lambda: len(seen) >= n, 10)

    with cv:
        cv.wait_for(lambda: len(seen) >= 1, 10)
    w = client()
    step(lambda: w.create(path, b"one"), 2)
    step(lambda: w.set(path, b"two"), 3)
    step(lambda: w.set(path, b"three"), 4)
    step(lambda: w.delete(path), 5)
    step(lambda: w.create(path, b"again"), 6)
    time.sleep(0.3)
    check(len(seen) == 6, "data watch saw %s" % seen)
    return {"calls": seen}


def children_watch():
    path = "/kr/children_watch"
    zk = client()
    zk.ensure_path(path)
    seen, cv = [], threading.Condition()

    def cb(children, event):
        with cv:
            seen.append([sorted(children), str(event.type) if event else None])
            cv.notify_all()

    ChildrenWatch(zk, path, cb, send_event=True)
    w = client()

    def step(op, n):
        op()
        with cv:
            cv.wait_for(lambda: len(seen) >= n, 10)

    with cv:
        cv.wait_for(lambda: len(seen) >= 1, 10)
    step(lambda: w.create(path + "/a"), 2)
    step(lambda: w.create(path + "/b", ephemeral=True), 3)
    step(lambda: w.set(path + "/a", b"x"), 3)  # data change: no children event
    step(lambda: w.delete(path + "/a"), 4)
    step(lambda: w.stop(), 5)  # the ephemeral b goes with its session
    time.sleep(0.3)
    check(len(seen) == 5, "children watch saw %s" % seen)
    return {"calls": seen}


def _tree(zk, root):
    out = {}

    def walk(p):
        try:  # a node may go (an expiring ephemeral) while we walk
            data, _ = zk.get(p)
            children = zk.get_children(p)
        except NoNodeError:
            return
        out[p] = data.decode()
        for c in children:
            walk(p + "/" + c)

    walk(root)
    return out


def _cache_tree(cache, root):
    out = {}

    def walk(p):
        d = cache.get_data(p)
        if d is None:
            return
        out[p] = d.data.decode()
        for c in cache.get_children(p) or ():
            walk(p + "/" + c)

    walk(root)
    return out


def tree_cache():
    root = "/kr/tree_cache"
    zk = client()
    for p in ("/a", "/a/x", "/a/y", "/b", "/b/z"):
        zk.ensure_path(root + p)
        zk.set(root + p, p.encode())
    cache = TreeCache(zk, root)
    events, inited = [], threading.Event()

    def listener(ev):
        if ev.event_type == TreeEvent.INITIALIZED:
            inited.set()
        elif ev.event_data is not None:
            events.append((ev.event_type, ev.event_data.path))

    cache.listen(listener)
    cache.start()
    check(inited.wait(10), "TreeCache never initialized")
    init_ok = _cache_tree(cache, root) == _tree(zk, root)
    w = client()
    w.create(root + "/c", b"c")
    w.create(root + "/c/d/e", b"e", makepath=True)
    w.set(root + "/a/x", b"x2")
    w.delete(root + "/b", recursive=True)
    w.create(root + "/b", b"b-again")
    for i in range(5):
        w.create(root + "/a/s-", b"seq%d" % i, sequence=True)
    w.set(root + "/a", b"a2")
    w.delete(root + "/a/y")
    # an ephemeral whose owner crashes
    v = Victim("zk.create(%r, b'eph', ephemeral=True)" % (root + "/c/eph"))
    wait_for(lambda: cache.get_data(root + "/c/eph") is not None, 10)
    had_eph = cache.get_data(root + "/c/eph") is not None
    v.crash()
    converged = wait_for(lambda: _cache_tree(cache, root) == _tree(zk, root) and
                         cache.get_data(root + "/c/eph") is None, 20)
    final = _cache_tree(cache, root)
    removed = sorted(set(p for t, p in events if t == TreeEvent.NODE_REMOVED))
    cache.close()
    obs = {"initial_match": init_ok, "saw_ephemeral": had_eph, "converged": bool(converged),
           "final_nodes": len(final), "final_data": sorted(final.values()), "removed": removed}
    check(init_ok and had_eph and converged, "tree cache: %s" % obs)
    return obs


# ---------------------------------------------------------------------------
# Sessions


def session_stall():
    """A process stalled past its session timeout sees its session expire when it resumes; its
    ephemeral is gone for the others, and a watcher saw NodeDeleted."""
    root = "/kr/session_stall"
    zk = client()
    zk.ensure_path(root)
    v = Victim("zk.create(%r, b'v', ephemeral=True)" % (root + "/eph"))
    deleted = threading.Event()
    zk.exists(root + "/eph", watch=lambda e: e.type == EventType.DELETED and deleted.set())
    v.pause()
    expired = deleted.wait(15)
    v.resume()
    states = []
    while True:
        line = v.readline(8)
        if line is None:
            break
        if line.startswith("STATE "):
            states.append(line[6:])
            if line[6:] == "LOST":
                break
    obs = {"ephemeral_deleted_while_stalled": expired,
           "victim_states_after_resume": states[-2:] if states else states,
           "ephemeral_exists": zk.exists(root + "/eph") is not None}
    check(expired and states and states[-1] == KazooState.LOST, "session stall: %s" % obs)
    return obs


def reconnect_link_cut():
    """The link between a client and the server is cut (a proxy in between) and restored within
    the session timeout: the client keeps its session and ephemerals. kazoo 2.8 sends no
    SetWatches on reconnect: on the cut it fires its plain one-shot watches once with a NONE
    event and forgets them, while the DataWatch / ChildrenWatch recipes re-read on reconnect
    and catch up with the changes made during the outage."""
    root = "/kr/reconnect"
    admin = client()
    admin.ensure_path(root)
    for i in range(50):
        admin.create("%s/n%03d" % (root, i), b"0")
    proxy = m.Proxy(m.HOSTS)
    try:
        zk = KazooClient(hosts=proxy.address, timeout=m.SURVIVOR_TIMEOUT)
        states = []
        zk.add_listener(lambda s: states.append(str(s)))
        zk.start(timeout=15)
        m._clients.append(zk)
        zk.create(root + "/eph", b"e", ephemeral=True)
        sid = zk.client_id[0]
        raw, recipe_data, recipe_children = [], [], []
        for i in range(50):
            zk.get("%s/n%03d" % (root, i), watch=lambda ev: raw.append(ev))
        DataWatch(zk, root + "/n000", lambda data, stat: recipe_data.append(data.decode() if data else None))
        ChildrenWatch(zk, root, lambda children: recipe_children.append(len(children)))
        wait_for(lambda: recipe_data and recipe_children, 5)
        proxy.cut()
        check(wait_for(lambda: "SUSPENDED" in states, 10), "client did not notice the cut: %s" % states)
        for i in range(0, 20):
            admin.set("%s/n%03d" % (root, i), b"1")
        for i in range(20, 30):
            admin.delete("%s/n%03d" % (root, i))
        time.sleep(0.5)
        during = [list(recipe_data), list(recipe_children)]
        proxy.restore()
        check(wait_for(lambda: states[-1:] == ["CONNECTED"], 15), "no reconnect: %s" % states)
        wait_for(lambda: recipe_data[-1:] == ["1"] and recipe_children[-1:] == [41] and len(raw) >= 50, 10)
        admin.set(root + "/n045", b"after")  # a watch set before the cut does not fire now
        time.sleep(0.5)
        obs = {"states": list(states), "same_session": zk.client_id[0] == sid,
               "ephemeral_kept": admin.exists(root + "/eph") is not None,
               "recipes_during_outage": during,
               "raw_watch_events": sorted(set("%s %s" % (e.type, e.path) for e in raw)),
               "raw_watch_event_count": len(raw),
               "datawatch_saw": list(recipe_data), "childrenwatch_saw": list(recipe_children)}
        check(obs["same_session"] and obs["ephemeral_kept"] and recipe_data[-1:] == ["1"] and
              recipe_children[-1:] == [41], "reconnect: %s" % obs)
        return obs
    finally:
        proxy.close()


def four_letter_words():
    """kazoo's command() (four-letter words, as monitoring tools use them) and
    server_version() (envi); the shapes of the answers, values normalized."""
    root = "/kr/4lw"
    zk = client()
    zk.ensure_path(root + "/a")
    zk.get(root + "/a", watch=lambda e: None)
    zk.get_children(root, watch=lambda e: None)
    zk.exists(root + "/none", watch=lambda e: None)

    def keys(text, sep):
        return [line.split(sep, 1)[0] for line in text.splitlines() if line.strip()]

    def labels(text):
        return [line.split(":", 1)[0] for line in text.splitlines()
                if line.strip() and not line.startswith(" /")]

    def sid(text):
        return re.sub(r"0x[0-9a-f]+", "<session>", text)

    obs = {
        "ruok": zk.command(b"ruok"),
        "isro": zk.command(b"isro"),
        "server_version": list(zk.server_version()),
        "envi_keys": keys(zk.command(b"envi"), "="),
        "conf_keys": keys(zk.command(b"conf"), "="),
        # kazoo reads at most 8 KiB of an answer: compare the first mntr keys only
        "mntr_first_keys": keys(zk.command(b"mntr"), "\t")[:20],
        "srvr_labels": labels(zk.command(b"srvr")),
        "stat_labels": labels(zk.command(b"stat")),
        "wchs": zk.command(b"wchs"),
        # listing order: see four_letter_words_order
        "wchc": sorted(sid(zk.command(b"wchc")).splitlines()),
        "wchp": sorted(sid(zk.command(b"wchp")).splitlines()),
        "crst": zk.command(b"crst"),
    }
    check(obs["ruok"] == "imok", "ruok: %r" % obs["ruok"])
    return obs


def four_letter_words_order():
    """wchp lists watched paths in the order of Apache's WatchManager HashMap, which keeps the
    capacity it once grew to: after a session watched 200 paths, two paths watched later are
    listed in the order of a 512-bucket table."""
    root = "/kr/4lw_order"
    zk = client()
    zk.ensure_path(root)
    states = []
    zk.add_listener(states.append)
    for i in range(200):
        zk.exists("%s/p%d" % (root, i), watch=lambda e: None)
    # kazoo does not set its watches again after a reconnect: a connection lost in the loop leaves
    # fewer than 200 watched paths, and a smaller table (say so, rather than differ in the order).
    summary = zk.command(b"wchs")
    held = re.search(r"watching (\d+) paths", summary)
    check(held is not None and int(held.group(1)) >= 200,
          "the watch table never held 200 paths: %r (connection states %r)" % (summary, states))
    m.close(zk)
    zk = client()
    zk.exists("/kr/4lw/a", watch=lambda e: None)
    zk.exists("/kr/4lw/none", watch=lambda e: None)
    return {"wchp": re.sub(r"0x[0-9a-f]+", "<session>", zk.command(b"wchp"))}


def expiry_event_order():
    """A crashed process owned 30 ephemerals under two parents; when its session expires the
    survivor's exists / child watches fire in the order the server deletes them (Apache: the
    session's ephemeral set in Java HashSet order)."""
    root = "/kr/expiry_order"
    zk = client()
    zk.ensure_path(root + "/a")
    zk.ensure_path(root + "/b")
    paths = ["%s/%s/e%02d" % (root, "ab"[i % 2], i) for i in range(30)]
    v = Victim("\n".join("zk.create(%r, b'', ephemeral=True)" % p for p in paths))
    order = []
    for p in paths:
        zk.exists(p, watch=lambda e: order.append("%s %s" % (e.type, e.path[len(root):])))
    for parent in ("/a", "/b"):
        zk.get_children(root + parent, watch=lambda e: order.append("%s %s" % (e.type, e.path[len(root):])))
    v.crash()
    check(wait_for(lambda: len(order) >= 32, 15), "survivor saw %d events" % len(order))
    time.sleep(0.3)
    return {"events_in_order": order}


def transaction():
    """kazoo transactions (multi): committed results, a failed check rolling back with
    RolledBackError for the other ops; sync; get_children(include_data=True)."""
    root = "/kr/txn"
    zk = client()
    zk.ensure_path(root)
    base = zk.exists(root).czxid
    t = zk.transaction()
    t.create(root + "/x", b"1")
    t.create(root + "/s-", b"", sequence=True)
    t.set_data(root + "/x", b"2", version=0)
    t.check(root + "/x", 1)
    t.delete(root + "/x", version=1)
    ok = t.commit()
    t = zk.transaction()
    t.create(root + "/y", b"")
    t.check(root, 42)
    t.create(root + "/z", b"")
    bad = t.commit()

    def res(r):
        if isinstance(r, Exception):
            return type(r).__name__
        if hasattr(r, "czxid"):
            return {"version": r.version, "mzxid": r.mzxid - base, "dataLength": r.dataLength}
        return r

    children, stat = zk.get_children(root, include_data=True)
    return {"ok": [res(r) for r in ok], "failed": [res(r) for r in bad],
            "y_exists": zk.exists(root + "/y") is not None, "sync": zk.sync(root),
            "children": sorted(children), "cversion": stat.cversion, "pzxid": stat.pzxid - base}


ROWS = [
    ("lock_contention", lock_contention),
    ("lock_holder_expires", lock_holder_expires),
    ("lock_holder_closes", lock_holder_closes),
    ("read_write_lock", read_write_lock),
    ("semaphore", semaphore),
    ("semaphore_holder_expires", semaphore_holder_expires),
    ("election_close", election_close),
    ("election_expire", election_expire),
    ("counter", counter),
    ("barrier", barrier),
    ("double_barrier", double_barrier),
    ("queue", queue),
    ("locking_queue", locking_queue),
    ("partitioner", partitioner),
    ("data_watch", data_watch),
    ("children_watch", children_watch),
    ("tree_cache", tree_cache),
    ("session_stall", session_stall),
    ("reconnect_link_cut", reconnect_link_cut),
    ("expiry_event_order", expiry_event_order),
    ("transaction", transaction),
    ("four_letter_words", four_letter_words),
    ("four_letter_words_order", four_letter_words_order),
]

if __name__ == "__main__":
    m.run_rows(ROWS, sys.argv)
