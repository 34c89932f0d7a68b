#!/bin/sh
# From a fresh Debian 12 (as root or with sudo): install dependencies, build,
# install, and run the whole test suite.  Ends with "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s all dsql_auth.so
$SUDO make -s install
exec test/run "$@"
