#!/usr/bin/env bash
# A local Redis Cluster of three masters on loopback, for the tests, .ci/run and the benchmark on a
# cluster (README, "Redis Cluster"). Debian's redis-server in cluster mode, nothing persisted.
#   start   reuse a healthy cluster on these ports, else start one; prints "running" or "started"
#   stop    stop the nodes this script started (by the ids in their pid files)
#   status  exit 0 and print "running" when the cluster is healthy
# FERRY_REDIS_CLUSTER_PORTS (default "7101 7102 7103") and FERRY_REDIS_CLUSTER_DIR choose where.
set -euo pipefail

read -r -a PORTS <<<"${FERRY_REDIS_CLUSTER_PORTS:-7101 7102 7103}"
DIR="${FERRY_REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/ferry-redis-cluster-${PORTS[0]}}"

fail() {
  echo "redis-cluster: $*" >&2
  exit 1
}

field() { tr -d '\r' | sed -n "s/^$1://p"; }

# Every node answers, sees all the others, and every slot is served.
healthy() {
  local p info
  for p in "${PORTS[@]}"; do
    info=$(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null) || return 1
    [ "$(field cluster_state <<<"$info")" = ok ] || return 1
    [ "$(field cluster_known_nodes <<<"$info")" = "${#PORTS[@]}" ] || return 1
    [ "$(field cluster_slots_ok <<<"$info")" = 16384 ] || return 1
  done
}

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 100); do
    if $check; then return 0; fi
    sleep 0.2
  done
  fail "timed out waiting for $what (logs in $DIR)"
}

stop_nodes() {
  local f pid
  for f in "$DIR"/redis-*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    # Only a redis-server this script started: the id is checked against the process it names.
    if grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    rm -f "$f"
  done
}

all_answer() {
  local p
  for p in "${PORTS[@]}"; do redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 || return 1; done
}

start() {
  command -v redis-server >/dev/null || fail "redis-server is not installed (Debian: apt-get install redis-server)"
  mkdir -p "$DIR"
  # Two test workers may ask at once: one starts the cluster, the other then finds it running.
  exec 9>"$DIR/lock"
  flock 9
  if healthy; then
    echo running
    return 0
  fi
  stop_nodes
  local p
  for p in "${PORTS[@]}"; do
    if redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1; then
      fail "port $p answers but is not a healthy node of this cluster: stop it or choose FERRY_REDIS_CLUSTER_PORTS"
    fi
  done
  rm -f "$DIR"/nodes-*.conf
  for p in "${PORTS[@]}"; do
    # noeviction: BullMQ's keys must never be evicted (it warns at start otherwise).
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "nodes-$p.conf" \
      --dir "$DIR" --save '' --appendonly no --maxmemory-policy noeviction --daemonize yes \
      --pidfile "$DIR/redis-$p.pid" --logfile "$DIR/redis-$p.log" 9>&- ||
      fail "redis-server on port $p did not start (see $DIR/redis-$p.log)"
  done
  wait_for "the nodes to answer" all_answer
  local nodes=()
  for p in "${PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 ||
    fail "redis-cli --cluster create failed (see $DIR/create.log)"
  wait_for "the cluster to serve every slot" healthy
  echo started
}

case "${1:-}" in
  start) start ;;
  stop)
    stop_nodes
    rm -rf "$DIR"
    ;;
  status)
    if healthy; then echo running; else
      echo "not running"
      exit 1
    fi
    ;;
  *) fail "usage: $0 start|stop|status" ;;
esac
