#!/bin/sh
# Before azd packages web/: make sure the git-ignored browser bundles in web/vendor/ exist (as `make setup` does).
set -eu
cd "$(dirname "$0")/../.."
if [ ! -f web/vendor/signalr.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error
  python3 scripts/vendor_web.py
fi
