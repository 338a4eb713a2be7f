"""Shared helpers for the compatibility-matrix kazoo scripts (python3-kazoo 2.8).

A matrix script is run as `script.py HOST:PORT [row-id ...]` and prints one JSON object per
row on stdout:

    {"row": id, "ok": bool, "obs": <normalized observations>, "detail": str, "ms": int}

`ok` says whether the scenario's own checks held; `obs` holds only what must be identical on
Apache ZooKeeper and zkts (no session ids, no times, no ordering that depends on scheduling).
kazoo's logging goes to stderr.

Crashes: `Victim(code)` runs `code` in a separate python process with its own KazooClient and
a short session timeout; `crash()` SIGKILLs it, so the server sees the connection drop while
the session lives on until it expires -- a crashed process, as a real deployment sees one.
`pause()` / `resume()` use SIGSTOP / SIGCONT (a process stalled past its session timeout).
A victim exits by itself when its parent goes away (stdin EOF).
"""
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient

HOSTS = None
SURVIVOR_TIMEOUT = 8.0  # seconds; the matrix servers run tickTime=500 (sessions 1-10 s)
VICTIM_TIMEOUT = 1.0
_victims = []
_clients = []


class Check(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Check(what)


def client(timeout=SURVIVOR_TIMEOUT):
    zk = KazooClient(hosts=HOSTS, timeout=timeout)
    zk.start(timeout=15)
    _clients.append(zk)
    return zk


def close(zk):
    try:
        zk.stop()
        zk.close()
    except Exception:
        pass


def wait_for(pred, timeout=15.0, step=0.05):
    """Polls pred() until truthy; returns its last value."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


def spawn(fn, *args):
    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


class Victim(object):
    """A client in its own process. `code` runs with `zk` (a started KazooClient), `emit(s)`
    (prints a line to the parent) and the kazoo modules imported; after it returns the
    process prints READY and waits to be killed. Lines emitted before READY are returned by
    the constructor's wait in `self.lines`."""

    def __init__(self, code, timeout=VICTIM_TIMEOUT, wait=20.0):
        self.p = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--victim", HOSTS, str(timeout), code],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1)
        _victims.append(self)
        self.lines = []
        self._buf = ""
        deadline = time.time() + wait
        while True:
            line = self.readline(max(0.0, deadline - time.time()))
            if line is None:
                self.crash()
                raise Check("victim did not get ready: %r" % (self.lines,))
            if line == "READY":
                break
            self.lines.append(line)

    def readline(self, timeout):
        """Next line from the victim, or None on timeout/EOF."""
        deadline = time.time() + timeout
        fd = self.p.stdout.fileno()
        while "\n" not in self._buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, 4096).decode()
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split("\n", 1)
        return line

    def crash(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def pause(self):
        self.p.send_signal(signal.SIGSTOP)

    def resume(self):
        self.p.send_signal(signal.SIGCONT)


class Proxy(object):
    """A TCP proxy on loopback in front of the server, whose link can be cut: `cut()` closes
    every proxied connection and refuses new ones (accept + close) until `restore()` -- a
    network partition between one client and the server, while the session lives on."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.up = True
        self.conns = []
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.address = "127.0.0.1:%d" % self.srv.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            if not self.up:
                c.close()
                continue
            try:
                s = socket.create_connection(self.target)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, s]
            threading.Thread(target=self._pump, args=(c, s), daemon=True).start()
            threading.Thread(target=self._pump, args=(s, c), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.up = False
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.srv.close()


def _victim_main(hosts, timeout, code):
    # Die with the parent.
    def watch_parent():
        try:
            while sys.stdin.read(1):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    import kazoo.recipe.lock  # noqa: F401  (made available to `code`)
    zk = KazooClient(hosts=hosts, timeout=float(timeout))

    def emit(s):
        sys.stdout.write(str(s) + "\n")
        sys.stdout.flush()

    zk.add_listener(lambda state: emit("STATE " + str(state)))
    zk.start(timeout=15)
    env = {"zk": zk, "emit": emit, "time": time, "threading": threading}
    exec("from kazoo.recipe.lock import Lock, Semaphore\n"
         "from kazoo.recipe.election import Election\n"
         "from kazoo.recipe.queue import LockingQueue\n", env)
    exec(code, env)
    emit("READY")
    while True:
        time.sleep(3600)


def _cleanup():
    for v in list(_victims):
        v.crash()
        _victims.remove(v)
    for zk in list(_clients):
        close(zk)
        _clients.remove(zk)


def run_rows(rows, argv, shared=False):
    """rows: list of (row_id, fn); fn() returns obs (checks raise Check). Clients and victims
    are cleaned up after each row, or only at the end when the rows share state (shared)."""
    global HOSTS
    HOSTS = argv[1]
    wanted = set(argv[2:])
    for row_id, fn in rows:
        if wanted and row_id not in wanted:
            continue
        t0 = time.time()
        result = {}

        def body():
            try:
                result["obs"] = fn()
                result["ok"] = True
            except Check as e:
                result["ok"] = False
                result["detail"] = "check failed: %s" % e
            except Exception as e:  # noqa: BLE001
                result["ok"] = False
                result["detail"] = "%s: %s | %s" % (
                    type(e).__name__, e, traceback.format_exc().strip().splitlines()[-3:])

        t = threading.Thread(target=body, daemon=True)
        t.start()
        t.join(60)
        if t.is_alive():
            result = {"ok": False, "detail": "scenario timed out after 60 s"}
        if not shared:
            _cleanup()
        sys.stdout.write(json.dumps({
            "row": row_id, "ok": result.get("ok", False), "obs": result.get("obs"),
            "detail": result.get("detail", ""), "ms": int((time.time() - t0) * 1000),
        }, sort_keys=True) + "\n")
        sys.stdout.flush()
    _cleanup()
    os._exit(0)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--victim":
    _victim_main(sys.argv[2], sys.argv[3], sys.argv[4])
