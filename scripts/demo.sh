#!/bin/sh
# From a fresh Debian 12 (as root or with sudo): install dependencies, build,
# install, and watch psql, pg_dump and pg_restore log in to a local Aurora
# DSQL stand-in with fresh IAM tokens.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s all dsql_auth.so
$SUDO make -s install
exec /usr/bin/python3 test/demo.py
