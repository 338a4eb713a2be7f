#!/usr/bin/env bash
# Run Apache ZooKeeper 3.8 (Debian packages) as a standalone "oracle" server.
#
#   scripts/oracle.sh start <workdir> <port> [extra zoo.cfg lines...]
#   scripts/oracle.sh stop  <workdir>
#   scripts/oracle.sh status <workdir>
#
# start writes <workdir>/zoo.cfg, <workdir>/pid, logs to <workdir>/server.log,
# uses <workdir>/data as dataDir, and returns only when the server answers the
# `srvr` four-letter word on 127.0.0.1:<port> (fails after ~30 s).
# Extra JVM system properties: ORACLE_JVMFLAGS="-Dzookeeper.extendedTypesEnabled=true ..."
# Overrides: JAVA (default: java), ZK_CLASSPATH.
set -euo pipefail

JAVA="${JAVA:-java}"
ZK_CLASSPATH="${ZK_CLASSPATH:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar}"
HOST=127.0.0.1
START_TIMEOUT="${ORACLE_START_TIMEOUT:-30}"

usage() {
  echo "usage: $0 start <workdir> <port> [extra zoo.cfg lines...]" >&2
  echo "       $0 stop <workdir>" >&2
  echo "       $0 status <workdir>" >&2
  exit 2
}

# four_letter_word <port> <word>: print the reply, non-zero if nothing answered.
four_letter_word() {
  local port="$1" word="$2" out
  out="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/$HOST/$port" || exit 1
    printf '%s' "$word" >&3
    timeout 5 cat <&3
  )" || true
  [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}

is_running() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

read_pid() {
  local f="$1/pid"
  [ -f "$f" ] && cat "$f" || true
}

cmd="${1:-}"; shift || true
case "$cmd" in
start)
  [ $# -ge 2 ] || usage
  workdir="$1"; port="$2"; shift 2
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "oracle: bad port '$port'" >&2; exit 2; }
  mkdir -p "$workdir"
  workdir="$(cd "$workdir" && pwd)"
  old="$(read_pid "$workdir")"
  if is_running "$old"; then
    echo "oracle: already running in $workdir (pid $old)" >&2
    exit 1
  fi
  mkdir -p "$workdir/data"
  {
    echo "tickTime=2000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$workdir/data"
    echo "clientPort=$port"
    echo "clientPortAddress=$HOST"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=*"
    for line in "$@"; do echo "$line"; done
  } > "$workdir/zoo.cfg"
  rm -f "$workdir/pid"
  # shellcheck disable=SC2086  # ORACLE_JVMFLAGS is intentionally word-split
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$workdir/pid" \
    "$JAVA" -Xmx256m ${ORACLE_JVMFLAGS:-} -cp "$ZK_CLASSPATH" \
    org.apache.zookeeper.server.ZooKeeperServerMain "$workdir/zoo.cfg" \
    > "$workdir/server.log" 2>&1 < /dev/null &
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  while :; do
    pid="$(read_pid "$workdir")"
    if [ -n "$pid" ] && ! is_running "$pid"; then
      echo "oracle: server exited during startup; see $workdir/server.log" >&2
      tail -n 20 "$workdir/server.log" >&2 || true
      exit 1
    fi
    if [ -n "$pid" ] && reply="$(four_letter_word "$port" srvr)" && grep -q '^Mode:' <<<"$reply"; then
      echo "oracle: Apache ZooKeeper up on $HOST:$port (pid $pid, workdir $workdir)"
      exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "oracle: no srvr answer on $HOST:$port after ${START_TIMEOUT}s; see $workdir/server.log" >&2
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
      exit 1
    fi
    sleep 0.2
  done
  ;;
stop)
  [ $# -ge 1 ] || usage
  workdir="$1"
  pid="$(read_pid "$workdir")"
  if ! is_running "$pid"; then
    echo "oracle: not running in $workdir"
    rm -f "$workdir/pid"
    exit 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    is_running "$pid" || break
    sleep 0.2
  done
  if is_running "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do
      is_running "$pid" || break
      sleep 0.2
    done
  fi
  if is_running "$pid"; then
    echo "oracle: could not stop pid $pid" >&2
    exit 1
  fi
  rm -f "$workdir/pid"
  echo "oracle: stopped (pid $pid)"
  ;;
status)
  [ $# -ge 1 ] || usage
  pid="$(read_pid "$1")"
  if is_running "$pid"; then echo "running (pid $pid)"; else echo "stopped"; exit 1; fi
  ;;
*)
  usage
  ;;
esac
