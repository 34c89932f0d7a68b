#!/bin/sh
# From a fresh Debian 12 (as root or with sudo): set up, then run the whole
# test suite.  Ends with "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
exec test/run "$@"
