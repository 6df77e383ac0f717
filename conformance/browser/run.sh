#!/usr/bin/env bash
# Runs the browser test (headless Debian Chromium driven by playwright-core) against a built
# `understudy` binary. Installs nothing: run conformance/browser/setup.sh first.
#
#   conformance/browser/run.sh target/debug/understudy
#
# Starts one instance on a free loopback port with a temporary sqlite file and a random secret
# key (UNDERSTUDY_SECRET_KEY), --frontend-url http://127.0.0.1:PORT, passes UNDERSTUDY_URL and
# UNDERSTUDY_SECRET_KEY to the test and stops the instance on exit. Screenshots go to
# $UNDERSTUDY_BROWSER_ARTIFACTS (default conformance/browser/artifacts).
# Exits non-zero if the instance did not start, a test failed, or no test ran.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 PATH/TO/understudy" >&2; exit 2; }
BIN=$1
[[ -x "$BIN" ]] || { echo "error: '$BIN' is not an executable understudy binary (build it first: cargo build -p understudy)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -d "$HERE/node_modules/playwright-core" ]] || { echo "error: $HERE/node_modules missing; run conformance/browser/setup.sh first" >&2; exit 2; }
[[ -x /usr/bin/chromium ]] || { echo "error: /usr/bin/chromium missing; run conformance/browser/setup.sh first" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/understudy-browser.XXXXXX")
PID=
cleanup() {
  if [[ -n "$PID" ]]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready PORT: until the listening line is printed and /healthz answers 200.
wait_ready() {
  local port=$1 i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$PID" 2>/dev/null || return 1
    if grep -qs "understudy listening on" "$WORK/server.log" &&
      curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      return 0
    fi
    sleep 0.1
  done
  echo "timed out after 30 s waiting for the instance" >&2
  return 1
}

KEY="sk_test_browser$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
started=
for attempt in 1 2 3; do
  PORT=$(free_port)
  rm -f "$WORK"/server.db*
  NO_COLOR=1 UNDERSTUDY_SECRET_KEY="$KEY" "$BIN" serve \
    --addr "127.0.0.1:$PORT" \
    --database "sqlite://$WORK/server.db" \
    --frontend-url "http://127.0.0.1:$PORT" \
    >"$WORK/server.log" 2>&1 </dev/null &
  PID=$!
  if wait_ready "$PORT"; then
    started=1
    break
  fi
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
  echo "instance did not start (attempt $attempt of 3); its output:" >&2
  sed 's/^/    | /' "$WORK/server.log" >&2
done
[[ -n "$started" ]] || exit 1
echo "=== browser: understudy on 127.0.0.1:$PORT, $(/usr/bin/chromium --version 2>/dev/null) ==="

export UNDERSTUDY_URL="http://127.0.0.1:$PORT"
export UNDERSTUDY_SECRET_KEY=$KEY
export UNDERSTUDY_BROWSER_ARTIFACTS=${UNDERSTUDY_BROWSER_ARTIFACTS:-$HERE/artifacts}
mkdir -p "$UNDERSTUDY_BROWSER_ARTIFACTS"

status=0
# Bounded: a hung browser must fail the step, not stall CI.
(cd "$HERE" && timeout "${BROWSER_TEST_TIMEOUT:-300}" node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/browser.tap" \
  test/) || status=$?
# node --test exits 0 when it finds no test at all; that must not pass.
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$WORK/browser.tap" | tail -n 1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$WORK/browser.tap" | tail -n 1)
if [[ $status -eq 0 && (-z "$passed" || "$passed" -eq 0 || "${failed:-1}" -ne 0) ]]; then
  echo "error: browser test reported pass=${passed:-?} fail=${failed:-?}" >&2
  status=1
fi
if [[ $status -ne 0 ]]; then
  echo "----- server log (last 80 lines) -----"
  tail -n 80 "$WORK/server.log"
fi
exit "$status"
