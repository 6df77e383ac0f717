#!/usr/bin/env bash
# Installs the official clients the conformance suites drive, inside the repository only:
#   conformance/python/.venv          pip install -r requirements.txt (pinned)
#   conformance/node/node_modules     npm ci (package-lock.json)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

echo "--- python: venv + pinned requirements"
python3 -m venv "$HERE/python/.venv"
"$HERE/python/.venv/bin/python" -m pip install --disable-pip-version-check -q -r "$HERE/python/requirements.txt"
"$HERE/python/.venv/bin/python" -m pip show clerk-backend-api | sed -n 's/^Version: /    clerk-backend-api /p'

echo "--- node: npm ci"
(cd "$HERE/node" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$HERE/node" && node -p '"    @clerk/backend " + require("./node_modules/@clerk/backend/package.json").version')
