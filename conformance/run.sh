#!/usr/bin/env bash
# Runs the conformance suites (Clerk's official Python and Node clients) against a built
# `understudy` binary. Builds and installs nothing: `.ci/run` (or conformance/setup.sh)
# prepares conformance/python/.venv and conformance/node/node_modules first.
#
#   conformance/run.sh target/debug/understudy [python|node|all]
#
# Each suite gets its own fresh set of instances (so one suite's quota or rate-limit use
# cannot change what the other sees), each on a free loopback port with its own temporary
# sqlite file and a random secret key given through UNDERSTUDY_SECRET_KEY:
#   default          -> UNDERSTUDY_URL
#   no impersonation -> UNDERSTUDY_NO_IMPERSONATION_URL   (--impersonation-enabled false: 402)
#   monthly limit 1  -> UNDERSTUDY_LIMITED_URL            (--monthly-impersonation-limit 1: 422)
#   2 requests/min   -> UNDERSTUDY_RATE_LIMITED_URL       (--rate-limit-per-minute 2: 429)
# Exits non-zero if any suite failed, collected no tests, or an instance did not start.
set -euo pipefail

usage() { echo "usage: $0 PATH/TO/understudy [python|node|all]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
BIN=$1
WHICH=${2:-all}
case "$WHICH" in python | node | all) ;; *) usage ;; esac
[[ -x "$BIN" ]] || { echo "error: '$BIN' is not an executable understudy binary (build it first: cargo build -p understudy)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY="$HERE/python/.venv/bin/python"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/understudy-conformance.XXXXXX")
PIDS=()
# A hung server must fail the run, not stall CI: each suite gets at most this long.
SUITE_TIMEOUT=${CONFORMANCE_SUITE_TIMEOUT:-600}

# Short form of the summary lines, filled as suites finish.
RESULTS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port the kernel just handed out and released; start_instance retries if it is taken meanwhile.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A fresh random test key, never printed.
random_key() {
  echo "sk_test_conformance$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
}

# wait_ready PID LOG PORT: until the listening line is printed and /healthz answers 200.
wait_ready() {
  local pid=$1 log=$2 port=$3 i
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    if grep -qs "understudy listening on" "$log" &&
      curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      return 0
    fi
    sleep 0.1
  done
  echo "timed out after 30 s waiting for 'understudy listening on' and GET /healthz" >&2
  return 1
}

# start_instance VAR NAME [serve flags…]: starts one instance and stores its base URL in $VAR.
start_instance() {
  local var=$1 name=$2 attempt port db log pid
  shift 2
  for attempt in 1 2 3; do
    port=$(free_port)
    db="$WORK/$name.db"
    log="$WORK/$name.log"
    rm -f "$db" "$db-wal" "$db-shm"
    NO_COLOR=1 UNDERSTUDY_SECRET_KEY="$KEY" "$BIN" serve \
      --addr "127.0.0.1:$port" \
      --database "sqlite://$db" \
      --frontend-url "http://127.0.0.1:$port" \
      "$@" >"$log" 2>&1 </dev/null &
    pid=$!
    PIDS+=("$pid")
    if wait_ready "$pid" "$log" "$port"; then
      printf -v "$var" 'http://127.0.0.1:%s' "$port"
      echo "  started $name on 127.0.0.1:$port${*:+ ($*)}"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "  instance $name did not start (attempt $attempt of 3); its output:" >&2
    sed 's/^/    | /' "$log" >&2
  done
  return 1
}

stop_instances() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

# Instance logs are printed only when a suite fails: they are noise otherwise.
show_logs() {
  local f
  for f in "$WORK"/*.log; do
    [[ -e "$f" ]] || continue
    echo "----- server log: $(basename "$f") -----"
    tail -n 60 "$f"
  done
}

start_instances() {
  KEY=$(random_key)
  # Called in an `if`, where `set -e` does not apply: each failure returns explicitly.
  start_instance UNDERSTUDY_URL default || return 1
  start_instance UNDERSTUDY_NO_IMPERSONATION_URL no-impersonation --impersonation-enabled false || return 1
  start_instance UNDERSTUDY_LIMITED_URL limited --monthly-impersonation-limit 1 || return 1
  start_instance UNDERSTUDY_RATE_LIMITED_URL rate-limited --rate-limit-per-minute 2 || return 1
  export UNDERSTUDY_URL UNDERSTUDY_NO_IMPERSONATION_URL UNDERSTUDY_LIMITED_URL UNDERSTUDY_RATE_LIMITED_URL
  export UNDERSTUDY_SECRET_KEY=$KEY
  export UNDERSTUDY_MONTHLY_LIMIT=1 UNDERSTUDY_RATE_LIMIT_PER_MINUTE=2
}

run_python() {
  [[ -x "$PY" ]] || { echo "error: $PY missing; run conformance/setup.sh first" >&2; return 2; }
  # Exit 5 (no tests collected) is non-zero and so counts as a failure like any other.
  (cd "$HERE/python" && timeout "$SUITE_TIMEOUT" "$PY" -m pytest -p no:cacheprovider -q -rs .)
}

run_node() {
  [[ -d "$HERE/node/node_modules/@clerk/backend" ]] ||
    { echo "error: $HERE/node/node_modules missing; run conformance/setup.sh first" >&2; return 2; }
  local tap="$WORK/node.tap" passed failed
  # @clerk/backend's fetch has no timeout of its own: bound each test and the whole run.
  (cd "$HERE/node" && timeout "$SUITE_TIMEOUT" node --test --test-concurrency=1 --test-timeout=60000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    test/)
  # node --test exits 0 when it finds no test at all; that must not pass.
  passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
  if [[ -z "$passed" || "$passed" -eq 0 || "${failed:-1}" -ne 0 ]]; then
    echo "error: node suite reported pass=${passed:-?} fail=${failed:-?}" >&2
    return 1
  fi
}

# run_suite NAME: fresh instances, the suite, then the instances stopped.
run_suite() {
  local name=$1 start status=0
  echo "=== conformance: $name (against $BIN) ==="
  start=$SECONDS
  if ! start_instances; then
    RESULTS+=("FAIL  $name (instances did not start)")
    stop_instances
    return 1
  fi
  "run_$name" || status=$?
  if [[ $status -ne 0 ]]; then
    show_logs
    RESULTS+=("FAIL  $name (exit $status, $((SECONDS - start)) s)")
  else
    RESULTS+=("ok    $name ($((SECONDS - start)) s)")
  fi
  stop_instances
  rm -f "$WORK"/*.db* "$WORK"/*.log
  return "$status"
}

overall=0
if [[ "$WHICH" == python || "$WHICH" == all ]]; then run_suite python || overall=1; fi
if [[ "$WHICH" == node || "$WHICH" == all ]]; then run_suite node || overall=1; fi

echo "=== conformance summary ==="
printf '  %s\n' "${RESULTS[@]}"
exit "$overall"
