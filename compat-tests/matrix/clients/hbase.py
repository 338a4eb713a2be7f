#!/usr/bin/python3
"""HBase-style use of ZooKeeper, replayed with kazoo 2.8: `hbase.py HOST:PORT`.

Active/backup master election through the ephemeral /hbase/master, region servers as
ephemerals under /hbase/rs with crash detection by session expiry (the crashed processes are
SIGKILLed), log-splitting tasks queued for the dead server, and /hbase/meta-region-server
watched by clients while meta moves. Steps share state, so they run in order in one scenario;
one JSON row per step (see zkmatrix.py).
"""
import json
import sys
import threading
import time

from kazoo.exceptions import NodeExistsError
from kazoo.protocol.states import EventType
from kazoo.recipe.watchers import ChildrenWatch, DataWatch

import zkmatrix as m
from zkmatrix import Victim, check, client, wait_for

S = {}


def step_master_election():
    admin = client()
    S["admin"] = admin
    for p in ("/hbase/rs", "/hbase/backup-masters", "/hbase/splitWAL", "/hbase/table"):
        admin.ensure_path(p)
    # m1 starts first and becomes the active master; it will crash later
    S["m1"] = Victim("zk.create('/hbase/master', b'm1,16000,1', ephemeral=True)")
    results = {"m1": "created"}
    masters = {}
    S["took_over"] = []
    S["woken"] = []
    for name in ("m2", "m3"):
        zk = client()
        masters[name] = zk
        try:
            zk.create("/hbase/master", ("%s,16000,1" % name).encode(), ephemeral=True)
            results[name] = "created"
        except NodeExistsError:
            results[name] = "NodeExists"
            zk.create("/hbase/backup-masters/%s,16000,1" % name, b"", ephemeral=True)
        arm_backup(zk, name)
    S["masters"] = masters
    active, _ = admin.get("/hbase/master")
    return {"attempts": results, "active": active.decode(),
            "backups": sorted(admin.get_children("/hbase/backup-masters"))}


def arm_backup(zk, name):
    """A backup master watches /hbase/master and tries to take over when it goes."""

    def on_event(ev):
        if ev.type != EventType.DELETED:
            return
        S["woken"].append(name)
        threading.Thread(target=take_over, args=(zk, name), daemon=True).start()

    zk.exists("/hbase/master", watch=on_event)


def take_over(zk, name):
    try:
        zk.create("/hbase/master", ("%s,16000,1" % name).encode(), ephemeral=True)
    except NodeExistsError:
        arm_backup(zk, name)
        return
    zk.delete("/hbase/backup-masters/%s,16000,1" % name)
    S["took_over"].append(name)


def step_master_failover():
    admin = S["admin"]
    S["m1"].crash()
    check(wait_for(lambda: len(S["took_over"]) == 1, 15), "no backup took over: %s" % S["took_over"])
    time.sleep(0.5)
    check(len(S["took_over"]) == 1, "two masters took over: %s" % S["took_over"])
    active, _ = admin.get("/hbase/master")
    S["active"] = S["took_over"][0]
    check(active.decode().startswith(S["active"]), "master znode says %s" % active)
    return {"woken_backups": sorted(S["woken"]), "masters_that_took_over": len(S["took_over"]),
            "active_matches_winner": True,
            "backups_left": len(admin.get_children("/hbase/backup-masters"))}


def step_region_servers():
    admin = S["admin"]
    master = S["masters"][S["active"]]
    S["rs1"] = Victim("zk.create('/hbase/rs/rs1,16020,1', b'', ephemeral=True)")
    rs = {}
    for name in ("rs2", "rs3"):
        rs[name] = client()
        rs[name].create("/hbase/rs/%s,16020,1" % name, b"", ephemeral=True)
    S["rs"] = rs
    seen, cv = [], threading.Condition()
    dead = []

    def on_children(children):
        with cv:
            cur = sorted(children)
            if seen:
                for gone in sorted(set(seen[-1]) - set(cur)):
                    dead.append(gone)
                    # queue WAL splitting for the dead server, as the master does
                    master.create("/hbase/splitWAL/WALs%%2F%s-splitting" % gone.replace(",", "%2C"), b"")
            seen.append(cur)
            cv.notify_all()

    ChildrenWatch(master, "/hbase/rs", on_children)
    with cv:
        cv.wait_for(lambda: seen and len(seen[-1]) == 3, 10)
    S["rs1"].crash()
    with cv:
        cv.wait_for(lambda: dead, 15)
    check(dead == ["rs1,16020,1"], "master saw dead servers %s (lists %s)" % (dead, seen))
    return {"first_seen": seen[0], "last_seen": seen[-1], "dead": dead,
            "split_tasks": sorted(admin.get_children("/hbase/splitWAL"))}


def step_meta_location():
    admin = S["admin"]
    master = S["masters"][S["active"]]
    admin.create("/hbase/meta-region-server", b"rs2,16020,1")
    views = {}
    lock = threading.Lock()

    def watcher(name):
        views[name] = []

        def cb(data, stat):
            with lock:
                views[name].append(None if data is None else data.decode())

        return cb

    clients = [client(), client()]
    for i, c in enumerate(clients):
        DataWatch(c, "/hbase/meta-region-server", watcher("client%d" % i))
    wait_for(lambda: all(len(v) == 1 for v in views.values()) and len(views) == 2, 10)
    # rs2 shuts down (closes its session); the master moves meta to rs3 with a versioned write
    S["rs"]["rs2"].stop()
    data, stat = master.get("/hbase/meta-region-server")
    master.set("/hbase/meta-region-server", b"rs3,16020,1", version=stat.version)
    wait_for(lambda: all(len(v) == 2 for v in views.values()), 10)
    time.sleep(0.2)
    check(all(v == ["rs2,16020,1", "rs3,16020,1"] for v in views.values()), "clients saw %s" % views)
    return {"clients_saw": [views["client0"], views["client1"]],
            "meta_version": admin.exists("/hbase/meta-region-server").version,
            "live_rs": sorted(admin.get_children("/hbase/rs"))}


ROWS = [
    ("h_master_election", step_master_election),
    ("h_master_failover", step_master_failover),
    ("h_region_servers", step_region_servers),
    ("h_meta_location", step_meta_location),
]

if __name__ == "__main__":
    m.run_rows(ROWS, sys.argv, shared=True)
