#!/bin/sh
# From a fresh Debian 12 (as root or with sudo): set up, then watch psql,
# pg_dump and pg_restore log in to a local Aurora DSQL stand-in with fresh
# IAM tokens.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
exec /usr/bin/python3 test/demo.py
