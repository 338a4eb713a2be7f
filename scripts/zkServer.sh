#!/usr/bin/env bash
# zkServer.sh for zkts: Apache ZooKeeper's verbs, exit codes and ZOOCFGDIR/ZOOCFG conventions.
#   scripts/zkServer.sh [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd} [zoo.cfg]
# Environment: ZOOCFGDIR (default: <repo>/conf), ZOOCFG (default: zoo.cfg, relative to ZOOCFGDIR),
# ZOOPIDFILE (default: $dataDir/zookeeper_server.pid), ZOO_LOG_DIR (default: <repo>/logs),
# JVMFLAGS / SERVER_JVMFLAGS (their -Dname=value flags are passed on, as system properties are).
set -u

ZKTS_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="${NODE:-node}"
ZKTS_BIN="$ZKTS_HOME/bin/zkts.js"

if [ "${1:-}" = "--config" ]; then
  shift
  ZOOCFGDIR="$1"
  shift
fi
ZOOCFGDIR="${ZOOCFGDIR:-$ZKTS_HOME/conf}"
ZOOCFG="${ZOOCFG:-zoo.cfg}"
if [ $# -gt 1 ]; then
  ZOOCFG="$2"
fi
case "$ZOOCFG" in
  /*) ;;
  *) if [ -f "$ZOOCFG" ] && [ $# -gt 1 ]; then ZOOCFG="$(cd "$(dirname "$ZOOCFG")" && pwd)/$(basename "$ZOOCFG")"; else ZOOCFG="$ZOOCFGDIR/$ZOOCFG"; fi ;;
esac
echo "Using config: $ZOOCFG" >&2

# System properties: only -D flags mean anything to zkts.
DFLAGS=()
for f in ${SERVER_JVMFLAGS:-} ${JVMFLAGS:-}; do
  case "$f" in -D*) DFLAGS+=("$f") ;; esac
done

cfgval() { grep -E "^[[:space:]]*$1[[:space:]]*[=:]" "$ZOOCFG" 2>/dev/null | tail -n 1 | sed -e 's/^[^=:]*[=:]//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }

ZOO_DATADIR="$(cfgval dataDir)"
case "$ZOO_DATADIR" in
  ""|/*) ;;
  *) ZOO_DATADIR="$PWD/$ZOO_DATADIR" ;;
esac
if [ -z "${ZOOPIDFILE:-}" ]; then
  [ -n "$ZOO_DATADIR" ] && mkdir -p "$ZOO_DATADIR"
  ZOOPIDFILE="${ZOO_DATADIR:-$ZKTS_HOME}/zookeeper_server.pid"
else
  mkdir -p "$(dirname "$ZOOPIDFILE")"
fi
ZOO_LOG_DIR="${ZOO_LOG_DIR:-$ZKTS_HOME/logs}"
mkdir -p "$ZOO_LOG_DIR" 2>/dev/null
_ZOO_DAEMON_OUT="$ZOO_LOG_DIR/zookeeper-${USER:-zkts}-server-$(hostname).out"

# Node 20 reads every certificate in NODE_EXTRA_CA_CERTS as it starts (~30-50 ms for a system bundle
# on a small machine); the server makes no TLS connections, so it starts without it.
CMD=(env -u NODE_EXTRA_CA_CERTS "$NODE" "$ZKTS_BIN" start-foreground "${DFLAGS[@]}" "$ZOOCFG")

case "${1:-}" in
start)
  echo -n "Starting zookeeper ... "
  if [ -f "$ZOOPIDFILE" ] && kill -0 "$(cat "$ZOOPIDFILE")" >/dev/null 2>&1; then
    echo zookeeper already running as process "$(cat "$ZOOPIDFILE")".
    exit 1
  fi
  nohup "${CMD[@]}" >"$_ZOO_DAEMON_OUT" 2>&1 </dev/null &
  pid=$!
  if ! echo -n "$pid" >"$ZOOPIDFILE"; then
    echo FAILED TO WRITE PID
    exit 1
  fi
  sleep 1
  if ps -p "$pid" >/dev/null 2>&1; then
    echo STARTED
  else
    echo FAILED TO START
    exit 1
  fi
  ;;
start-foreground)
  exec "${CMD[@]}"
  ;;
print-cmd)
  printf '%q ' "${CMD[@]}"
  echo "> \"$_ZOO_DAEMON_OUT\" 2>&1 < /dev/null"
  ;;
stop)
  echo -n "Stopping zookeeper ... "
  if [ ! -f "$ZOOPIDFILE" ]; then
    echo "no zookeeper to stop (could not find file $ZOOPIDFILE)"
  else
    pid="$(cat "$ZOOPIDFILE")"
    kill "$pid" 2>/dev/null
    rm -f "$ZOOPIDFILE"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo STOPPED
  fi
  exit 0
  ;;
version)
  "$NODE" "$ZKTS_BIN" version
  ;;
restart)
  shift
  "$0" stop "$@"
  sleep 1
  "$0" start "$@"
  ;;
status)
  clientPortAddress="$(cfgval clientPortAddress)"
  [ -n "$clientPortAddress" ] || clientPortAddress="localhost"
  clientPort="$(cfgval clientPort)"
  if ! [[ "$clientPort" =~ ^[0-9]+$ ]]; then
    echo "Client port not found in the server configs"
    exit 1
  fi
  echo "Client port found: $clientPort. Client address: $clientPortAddress. Client SSL: false." >&2
  STAT="$( (exec 3<>"/dev/tcp/$clientPortAddress/$clientPort" && printf srvr >&3 && timeout 5 cat <&3) 2>/dev/null | grep Mode)"
  if [ -z "$STAT" ]; then
    echo "Error contacting service. It is probably not running."
    exit 1
  fi
  echo "$STAT"
  exit 0
  ;;
*)
  echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd}" >&2
  ;;
esac
