#!/bin/sh
# From a fresh Debian 12 (as root or with sudo): install the dependencies,
# then build and install dsql_auth.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s all
$SUDO make -s install
