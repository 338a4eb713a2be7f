#!/usr/bin/python3
"""Solr-style use of ZooKeeper (SolrCloud), replayed with kazoo 2.8: `solr.py HOST:PORT`.

/live_nodes ephemerals, overseer election with ephemeral-sequential nodes where each candidate
watches only its predecessor (no herd), the /overseer/queue work queue of persistent-sequential
nodes consumed in order (including what the crashed overseer left behind), and clusterstate
(state.json) updated by read-modify-write with versioned writes and BadVersion retries. The
overseer and one node are crashed (SIGKILL). One JSON row per step (see zkmatrix.py).
"""
import json
import sys
import threading
import time

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError
from kazoo.recipe.watchers import ChildrenWatch

import zkmatrix as m
from zkmatrix import Victim, check, client, spawn, wait_for

E = "/overseer_elect/election"
S = {}


def seq(name):
    return name.rsplit("-n_", 1)[1]


class Candidate(object):
    """Solr's LeaderElector: lowest sequence leads; the others watch their predecessor."""

    def __init__(self, zk, name):
        self.zk, self.name = zk, name
        self.leader = threading.Event()
        self.woken = 0
        self.watching = None
        self.me = zk.create(E + "/" + name + "-n_", b"", ephemeral=True, sequence=True).rsplit("/", 1)[1]
        self.check()

    def check(self):
        kids = sorted(self.zk.get_children(E), key=seq)
        i = kids.index(self.me)
        if i == 0:
            try:
                self.zk.create("/overseer_elect/leader", json.dumps({"id": self.name}).encode(), ephemeral=True)
            except NodeExistsError:
                # the previous leader's node goes with its session; retry shortly
                time.sleep(0.1)
                return self.check()
            self.watching = None
            self.leader.set()
            return
        pred = kids[i - 1]
        self.watching = pred.split("-n_")[0]

        def on_event(ev):
            self.woken += 1
            threading.Thread(target=self.check, daemon=True).start()

        if self.zk.exists(E + "/" + pred, watch=on_event) is None:
            self.check()


def step_live_nodes():
    admin = client()
    S["admin"] = admin
    for p in ("/live_nodes", E, "/overseer/queue", "/collections/c1"):
        admin.ensure_path(p)
    # n1 registers first, and will be the overseer that crashes
    S["n1"] = Victim(
        "zk.create('/live_nodes/n1:8983_solr', b'', ephemeral=True)\n"
        "zk.create('%s/n1-n_', b'', ephemeral=True, sequence=True)\n"
        "zk.create('/overseer_elect/leader', b'{\"id\": \"n1\"}', ephemeral=True)" % E)
    nodes = {}
    for n in ("n2", "n3"):
        nodes[n] = client()
        nodes[n].create("/live_nodes/%s:8983_solr" % n, b"", ephemeral=True)
    S["nodes"] = nodes
    seen, cv = [], threading.Condition()

    def cb(children):
        with cv:
            seen.append(sorted(children))
            cv.notify_all()

    ChildrenWatch(nodes["n2"], "/live_nodes", cb)
    with cv:
        cv.wait_for(lambda: seen and len(seen[-1]) == 3, 10)
    S["live_seen"], S["live_cv"] = seen, cv
    return {"live_nodes": seen[-1]}


def step_overseer_election():
    nodes = S["nodes"]
    cands = {n: Candidate(nodes[n], n) for n in ("n2", "n3")}
    S["cands"] = cands
    admin = S["admin"]
    leader = json.loads(admin.get("/overseer_elect/leader")[0].decode())["id"]
    kids = sorted(admin.get_children(E), key=seq)
    # messages the overseer n1 will never process: it crashes first
    for i in range(3):
        admin.create("/overseer/queue/qn-", json.dumps({"op": "state", "n": i}).encode(), sequence=True)
    return {"leader": leader, "candidates": [k.split("-n_")[0] + "-n_" + seq(k) for k in kids],
            "watching": {n: c.watching for n, c in cands.items()},
            "any_leader_yet": any(c.leader.is_set() for c in cands.values())}


def step_overseer_failover():
    cands = S["cands"]
    seen, cv = S["live_seen"], S["live_cv"]
    S["n1"].crash()
    check(cands["n2"].leader.wait(15), "n2 did not become overseer")
    with cv:
        cv.wait_for(lambda: len(seen[-1]) == 2, 10)
    time.sleep(0.3)
    leader = json.loads(S["admin"].get("/overseer_elect/leader")[0].decode())["id"]
    return {"leader": leader, "woken": {n: c.woken for n, c in cands.items()},
            "n3_watching": cands["n3"].watching, "live_nodes": seen[-1]}


def step_work_queue():
    admin = S["admin"]
    overseer = S["nodes"]["n2"]
    producers = [S["nodes"]["n3"], client()]
    for i in range(3, 9):
        producers[i % 2].create("/overseer/queue/qn-", json.dumps({"op": "state", "n": i}).encode(), sequence=True)
    processed = []
    while True:
        kids = sorted(overseer.get_children("/overseer/queue"))
        if not kids:
            break
        head = kids[0]
        data, _ = overseer.get("/overseer/queue/" + head)
        processed.append((head, json.loads(data.decode())["n"]))
        overseer.delete("/overseer/queue/" + head)
    check([n for _, n in processed] == list(range(9)), "processed out of order: %s" % processed)
    return {"processed": processed, "left": admin.get_children("/overseer/queue")}


def step_clusterstate():
    admin = S["admin"]
    path = "/collections/c1/state.json"
    admin.create(path, json.dumps({"c1": {"replicas": {}}}).encode())
    retries = {"n": 0}
    lock = threading.Lock()
    errors = []

    def updater(name):
        try:
            zk = client()
            for i in range(10):
                while True:
                    data, stat = zk.get(path)
                    st = json.loads(data.decode())
                    st["c1"]["replicas"][name] = i + 1
                    try:
                        zk.set(path, json.dumps(st, sort_keys=True).encode(), version=stat.version)
                        break
                    except BadVersionError:
                        with lock:
                            retries["n"] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [spawn(updater, "core_node%d" % i) for i in range(3)]
    for t in ts:
        t.join(45)
    data, stat = admin.get(path)
    final = json.loads(data.decode())
    check(not errors, "errors: %s" % errors)
    check(final["c1"]["replicas"] == {"core_node0": 10, "core_node1": 10, "core_node2": 10},
          "lost updates: %s" % final)
    # a stale writer is refused
    try:
        admin.set(path, b"{}", version=stat.version - 1)
        stale = "accepted"
    except BadVersionError:
        stale = "BadVersion"
    return {"final": final, "version": stat.version, "stale_write": stale}


ROWS = [
    ("s_live_nodes", step_live_nodes),
    ("s_overseer_election", step_overseer_election),
    ("s_overseer_failover", step_overseer_failover),
    ("s_work_queue", step_work_queue),
    ("s_clusterstate", step_clusterstate),
]

if __name__ == "__main__":
    m.run_rows(ROWS, sys.argv, shared=True)
