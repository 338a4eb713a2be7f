#!/usr/bin/env bash
# Regenerate the Apache ZooKeeper 3.8 wire captures in test/fixtures/apache-3.8/.
#
#   scripts/capture-fixtures.sh [outdir] [zkcli|kazoo|kazoo-errors|c-client ...]
#
# Each fixture is one client session against a FRESH standalone oracle
# (scripts/oracle.sh, empty dataDir, so zxids start at 0), recorded by
# scripts/capture-traffic.js sitting between the client and the server.
# Needs: java + Debian zookeeper packages (scripts/install-oracle.sh), node, /usr/bin/python3 with kazoo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/test/fixtures/apache-3.8}"
shift || true
WHICH=("$@")
[ ${#WHICH[@]} -gt 0 ] || WHICH=(zkcli kazoo kazoo-errors c-client)

ZKCLI=/usr/share/zookeeper/bin/zkCli.sh
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
PY=/usr/bin/python3

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
SERVER_DESC="Apache ZooKeeper 3.8.0 standalone (Debian zookeeper $(pkgver zookeeper), ZooKeeperServerMain, NIOServerCnxnFactory, fresh dataDir)"

mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zk-capture.XXXXXX")"
PROXY_PID=""
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
  "$ROOT/scripts/oracle.sh" stop "$WORK/oracle" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# capture <name> <description> <client> <command...>
# Runs "<command> <proxy-port>" against a fresh oracle through the recording proxy.
capture() {
  local name="$1" desc="$2" client="$3"; shift 3
  local zkport out="$OUT/$name.json"
  zkport="$(free_port)"
  rm -rf "$WORK/oracle"
  "$ROOT/scripts/oracle.sh" start "$WORK/oracle" "$zkport" >/dev/null
  rm -f "$WORK/ready"
  node "$ROOT/scripts/capture-traffic.js" --listen 0 --target "127.0.0.1:$zkport" --out "$out" \
    --connections 1 --ready-file "$WORK/ready" \
    --description "$desc" --client "$client" --server "$SERVER_DESC" \
    > "$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
  local pport; pport="$(cat "$WORK/ready")"
  echo "== $name: oracle 127.0.0.1:$zkport, proxy 127.0.0.1:$pport"
  "$@" "$pport" > "$WORK/$name.client.log" 2>&1 || { echo "client failed:"; cat "$WORK/$name.client.log"; exit 1; }
  # The proxy exits by itself once the client's connection has closed.
  for _ in $(seq 1 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PROXY_PID" 2>/dev/null; then kill "$PROXY_PID"; fi
  wait "$PROXY_PID" 2>/dev/null || true
  PROXY_PID=""
  "$ROOT/scripts/oracle.sh" stop "$WORK/oracle" >/dev/null
  echo "   $(grep -c '"dir"' "$out") frames -> $out ($(wc -c < "$out") bytes)"
}

run_zkcli() {
  printf '%s\n' \
    'create /a "hello"' \
    'create -e /a/eph "x"' \
    'create -s /a/seq- "y"' \
    'get -s /a' \
    'set /a "world"' \
    'ls -s /a' \
    'stat /a' \
    'getAcl /a' \
    'delete /a/eph' \
    'deleteall /a' \
    'get /nonexistent' \
    'quit' |
    timeout 60 "$ZKCLI" -server "127.0.0.1:$1" > "$WORK/zkcli.out" 2>&1 || true
  # ZooKeeperMain exits non-zero because the last command (get /nonexistent) failed.
  cat "$WORK/zkcli.out"
  grep -q 'Node does not exist: /nonexistent' "$WORK/zkcli.out" && grep -q "^'world,'anyone" "$WORK/zkcli.out"
}

run_kazoo() {
  timeout 60 "$PY" - "$1" <<'PYEOF'
import sys, threading, time
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

port = sys.argv[1]
zk = KazooClient(hosts="127.0.0.1:%s" % port, timeout=10.0)
zk.start(timeout=15)
zk.ensure_path("/k/p")
seq = zk.create("/k/p/n-", b"v", ephemeral=True, sequence=True)
fired = threading.Event()
def watcher(event):
    print("watch:", event)
    fired.set()
data, stat = zk.get("/k/p", watch=watcher)
zk.set("/k/p", b"new")
assert fired.wait(10), "watch did not fire"
print("children:", zk.get_children("/k/p"))
t = zk.transaction()
t.create("/k/p/t", b"x")
t.check("/k/p", version=99)
print("multi:", t.commit())
print("exists:", zk.exists("/k/missing"))
zk.delete(seq)
zk.stop()
zk.close()
PYEOF
}

run_kazoo_errors() {
  timeout 60 "$PY" - "$1" <<'PYEOF'
import sys, time
from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError, BadVersionError

zk = KazooClient(hosts="127.0.0.1:%s" % sys.argv[1], timeout=4.0)
zk.start(timeout=15)
zk.create("/e", b"1")
for op, exc in ((lambda: zk.create("/e", b"1"), NodeExistsError),
                (lambda: zk.delete("/nope"), NoNodeError),
                (lambda: zk.set("/e", b"2", version=7), BadVersionError),
                (lambda: zk.create("/nope/x"), NoNodeError)):
    try:
        op()
        raise SystemExit("expected %s" % exc.__name__)
    except exc:
        print("ok:", exc.__name__)
print(zk.exists("/e"))
time.sleep(2.5)  # 4 s session: kazoo pings after ~1.3 s idle
zk.create("/f")
zk.stop()
zk.close()
PYEOF
}

run_c_client() {
  {
    sleep 1; echo 'create /x'
    sleep 0.5; echo 'get /x'
    sleep 0.5; echo 'ls /'
    sleep 0.5; echo 'quit'
    sleep 0.5
  } | timeout 60 "$CLI_MT" -h "127.0.0.1:$1"
}

for w in "${WHICH[@]}"; do
  case "$w" in
  zkcli)
    capture zkcli-session \
      "One zkCli.sh session (Java client org.apache.zookeeper.ZooKeeper 3.8.0) against Apache ZooKeeper 3.8.0 standalone; stdin: create /a \"hello\"; create -e /a/eph \"x\"; create -s /a/seq- \"y\"; get -s /a; set /a \"world\"; ls -s /a; stat /a; getAcl /a; delete /a/eph; deleteall /a; get /nonexistent (NONODE); quit" \
      "zkCli.sh / org.apache.zookeeper.ZooKeeperMain, Java client 3.8.0 (Debian libzookeeper-java $(pkgver libzookeeper-java)), OpenJDK $(java -version 2>&1 | head -1 | sed 's/.*"\(.*\)".*/\1/')" \
      run_zkcli
    ;;
  kazoo)
    capture kazoo-session \
      "One kazoo session against Apache ZooKeeper 3.8.0 standalone: start; ensure_path /k/p; create /k/p/n- ephemeral+sequence; get /k/p with watch; set /k/p (same client; NodeDataChanged notification, xid -1); get_children /k/p; transaction [create /k/p/t, check /k/p version 99] (fails: BadVersion); exists /k/missing; delete the sequential node; stop (closeSession)" \
      "kazoo $($PY -c 'import kazoo.version as v; print(v.__version__)') (Debian python3-kazoo $(pkgver python3-kazoo)), Python $($PY -c 'import platform; print(platform.python_version())')" \
      run_kazoo
    ;;
  kazoo-errors)
    capture kazoo-errors-session \
      "One kazoo session (4 s session timeout) against Apache ZooKeeper 3.8.0 standalone: create /e; failing writes create /e (NodeExists), delete /nope (NoNode), set /e version 7 (BadVersion), create /nope/x (NoNode); exists /e; idle 2.5 s (pings, xid -2); create /f; stop (closeSession)" \
      "kazoo $($PY -c 'import kazoo.version as v; print(v.__version__)') (Debian python3-kazoo $(pkgver python3-kazoo)), Python $($PY -c 'import platform; print(platform.python_version())')" \
      run_kazoo_errors
    ;;
  c-client)
    capture c-client-session \
      "One cli_mt session (ZooKeeper C client 3.8.0, multi-threaded) against Apache ZooKeeper 3.8.0 standalone: create /x (cli_mt always writes data \"new\"); get /x (sets a watch); ls /; quit (closeSession). Mainly for the C client's ConnectRequest and its non-sequential starting xid." \
      "cli_mt, ZooKeeper C client 3.8.0 (Debian zookeeper-bin $(pkgver zookeeper-bin), libzookeeper-mt2 $(pkgver libzookeeper-mt2))" \
      run_c_client
    ;;
  *) echo "unknown capture '$w' (zkcli|kazoo|kazoo-errors|c-client)" >&2; exit 2 ;;
  esac
done
