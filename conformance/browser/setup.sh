#!/usr/bin/env bash
# Prepares the browser test: Debian's Chromium (and its WebDriver, for Rust-side drivers)
# when /usr/bin/chromium is missing, then the pinned playwright-core (npm ci), inside the
# repository only. playwright-core downloads no browser: the test drives /usr/bin/chromium.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ! -x /usr/bin/chromium ]]; then
  echo "--- apt: chromium chromium-driver"
  SUDO=()
  [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "    $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium: version unknown')"

echo "--- browser: npm ci"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$HERE" && node -p '"    playwright-core " + require("./node_modules/playwright-core/package.json").version')
