#!/bin/sh
# `make bench` needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379. Uses them when they
# answer; otherwise installs Debian's packages if missing and starts them, and says what it did.
set -eu

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_install() {
	echo "bench: installing $* (Debian packages)"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
pg_usable() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; }

# --- PostgreSQL -----------------------------------------------------------------------------------------------------
if ! command -v pg_isready >/dev/null 2>&1 || ! pg_answers; then
	fresh=""
	if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
		apt_install postgresql
		fresh=1
	fi
	version=$(ls /usr/lib/postgresql | sort -n | tail -1)
	echo "bench: starting PostgreSQL $version (cluster main)"
	if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then $SUDO pg_createcluster "$version" main >/dev/null; fi
	$SUDO pg_ctlcluster "$version" main start 2>/dev/null || $SUDO service postgresql start
	if [ -n "$fresh" ]; then
		# A cluster installed just now for the benches: let the local user postgres in over 127.0.0.1 without a
		# password, as the bench scripts connect (postgresql://postgres@127.0.0.1:5432/bench_…). Nothing else changes.
		hba="/etc/postgresql/$version/main/pg_hba.conf"
		echo "bench: $hba: trust for user postgres from 127.0.0.1 and ::1 (a cluster installed for the benches)"
		$SUDO sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
		$SUDO pg_ctlcluster "$version" main reload
	fi
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do pg_answers && break; sleep 1; done
fi
if ! pg_usable; then
	echo "bench: PostgreSQL answers on 127.0.0.1:5432 but user postgres cannot connect without a password." >&2
	echo "       Allow it for 127.0.0.1 in pg_hba.conf (host all postgres 127.0.0.1/32 trust) or set PGPASSWORD." >&2
	exit 1
fi
echo "bench: PostgreSQL $(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SHOW server_version') on 127.0.0.1:5432"

# --- Redis ----------------------------------------------------------------------------------------------------------
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
if ! command -v redis-cli >/dev/null 2>&1 || ! redis_answers; then
	if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
	echo "bench: starting Redis"
	$SUDO service redis-server start >/dev/null 2>&1 || redis-server --bind 127.0.0.1 --port 6379 --daemonize yes
	for _ in 1 2 3 4 5 6 7 8 9 10; do redis_answers && break; sleep 1; done
	if ! redis_answers; then echo "bench: Redis does not answer on 127.0.0.1:6379" >&2; exit 1; fi
fi
echo "bench: Redis $(redis-cli -h 127.0.0.1 info server | sed -n 's/^redis_version:\([^\r]*\).*/\1/p') on 127.0.0.1:6379"

# --- wrk (the load tool of bench/list_view.py) -----------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then apt_install wrk; fi
echo "bench: $(wrk --version 2>&1 | head -1 | cut -c1-40)"
