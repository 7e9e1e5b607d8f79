#!/bin/sh
# Container entrypoint: creates the at-rest master key on first start (32
# random bytes, readable by the gateway user only, in the data volume), then
# replaces itself with gatewayd so that SIGTERM reaches it directly (graceful
# shutdown). Arguments are gatewayd's.
set -eu
data=/var/lib/gateway
if [ ! -s "$data/master.key" ]; then
	(umask 077 && head -c 32 /dev/urandom > "$data/master.key.tmp" && mv "$data/master.key.tmp" "$data/master.key")
fi
exec /usr/local/sbin/gatewayd "$@"
