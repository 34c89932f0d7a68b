#!/bin/sh
# Install what dsql_auth needs to build and test, from Debian 12's packages.
# Idempotent; needs root (or sudo).
set -eu
PKGS="build-essential pkg-config ca-certificates openssl
 postgresql-15 postgresql-server-dev-15 postgresql-client-15 libpq-dev
 libssl-dev libcurl4-openssl-dev libjson-c-dev
 python3 python3-psycopg2 tmux procps iproute2
 faketime awscli"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
