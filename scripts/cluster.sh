#!/usr/bin/env bash
# Cluster mode on one machine (docs/scaling.md): `make cluster`.
#
#   scripts/cluster.sh            prepare, then start every process of Procfile.cluster (Ctrl-C stops all)
#   scripts/cluster.sh prepare    the release step: the database, made when missing, and the hub's migrations
#   scripts/cluster.sh run NAME   one process of Procfile.cluster in the foreground (the cluster test and
#                                 benchmark start each on its own, to kill one: honcho stops all when one dies)
#
# What it runs against, from the environment (the defaults are a local install):
# PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE (libpq's own variables), REDIS_HOST
# REDIS_PORT REDIS_DB, and the ports CLUSTER_PORT (HAProxy: the address to open)
# HUB1_PORT HUB2_PORT RASA1_PORT RASA2_PORT ACTIONS_PORT SMTP_PORT, and
# CAROLINA_EXTRA_ORIGINS (the portals whose pages open the widget). Everything
# else the processes read is derived here, so the hubs, Rasa and the actions
# always agree.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
export PGPASSWORD="${PGPASSWORD:-}" PGDATABASE="${PGDATABASE:-carolina}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}" REDIS_DB="${REDIS_DB:-0}"
export CLUSTER_HOST="${CLUSTER_HOST:-127.0.0.1}" CLUSTER_PORT="${CLUSTER_PORT:-8080}"
export HUB1_PORT="${HUB1_PORT:-8001}" HUB2_PORT="${HUB2_PORT:-8002}"
export RASA1_PORT="${RASA1_PORT:-5005}" RASA2_PORT="${RASA2_PORT:-5006}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}" SMTP_PORT="${SMTP_PORT:-8025}"
HUB_PY=.venv-hub/bin/python

# The hubs (cluster mode: PostgreSQL and Redis).
export DATABASE_URL="postgresql+asyncpg://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE"
export REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/$REDIS_DB"
# Both Rasa servers, unless told otherwise (bench/cluster.py measures one hub on one).
export RASA_URLS="${RASA_URLS:-http://127.0.0.1:$RASA1_PORT,http://127.0.0.1:$RASA2_PORT}"
export CAROLINA_PUBLIC_URL="http://localhost:$CLUSTER_PORT"
export CAROLINA_ALLOWED_ORIGINS="http://localhost:$CLUSTER_PORT,http://127.0.0.1:$CLUSTER_PORT${CAROLINA_EXTRA_ORIGINS:+,$CAROLINA_EXTRA_ORIGINS}"
export CAROLINA_TRUSTED_PROXY_HEADER=X-Forwarded-For CAROLINA_TRUSTED_PROXIES=127.0.0.1
export SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
# Rasa's events of erased conversations go too (bot/domain/retention.py).
export CAROLINA_TRACKER_STORE_URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE"
# Rasa (endpoints.cluster.yml): its tracker store in the hub's database (its one
# table, `events`, is Rasa's own), its lock store in the hubs' Redis.
export DB_HOST="$PGHOST" DB_PORT="$PGPORT" DB_USER="$PGUSER" DB_PASSWORD="$PGPASSWORD" DB_NAME="$PGDATABASE"
export RASA_LOCK_PREFIX="${RASA_LOCK_PREFIX:-carolina}"
export ACTION_SERVER_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
# A turn's lock outlives a Rasa server killed in the middle of it for this
# long (Rasa's default is 60 s). Half the hub's wait for an answer (RASA_TIMEOUT,
# 20 s), so the message the hub asks again of another server is answered in
# time. The hubs already send a conversation's messages one at a time, so a
# turn slower than this is not overtaken by the conversation's next one.
export TICKET_LOCK_LIFETIME="${TICKET_LOCK_LIFETIME:-10}"
# The action server reaches whichever hub HAProxy picks; the NLU it asks for
# two-question messages is the first Rasa server's.
export CAROLINA_HUB_URL="http://127.0.0.1:$CLUSTER_PORT" CAROLINA_RASA_URL="http://127.0.0.1:$RASA1_PORT"

# Secrets every process of the deployment shares: from the environment, or
# made once in var/ (0600) on this machine. A cluster on several machines sets them in the environment of each.
secret() {
  "$HUB_PY" -c 'import sys; from pathlib import Path; from common.private_files import stored_secret
print(stored_secret(Path(sys.argv[1])))' "$1"
}
export CAROLINA_ACTIONS_TOKEN="${CAROLINA_ACTIONS_TOKEN:-$(secret var/actions.token)}"
export RASA_TOKEN="${RASA_TOKEN:-$(secret var/rasa.token)}"
# Identities signed by one hub are read by the other: one secret. The demo page
# stays on unless CAROLINA_DEMO=0.
export CAROLINA_IDENTITY_SECRET="${CAROLINA_IDENTITY_SECRET:-$(secret var/identity.secret)}"
export CAROLINA_DEMO="${CAROLINA_DEMO:-1}"
# Links a hub signs (ticket pages, files) are opened through any hub: one secret.
export CAROLINA_SIGNING_SECRET="${CAROLINA_SIGNING_SECRET:-$(secret var/signing.secret)}"

prepare() {
  "$HUB_PY" - <<'PY'
# The database, made when missing (libpq's PG* variables say where and as whom).
import asyncio
import os

import asyncpg


async def main() -> None:
    name = os.environ["PGDATABASE"]
    connection = await asyncpg.connect(database="postgres", timeout=10)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


asyncio.run(main())
PY
  # Migrations once, before any hub starts: a release step.
  "$HUB_PY" -m bot db upgrade
}

case "${1:-start}" in
  prepare)
    prepare
    ;;
  run)
    line=$(sed -n "s/^${2:?which process of Procfile.cluster}: //p" Procfile.cluster)
    [ -n "$line" ] || { echo "no process $2 in Procfile.cluster" >&2; exit 2; }
    exec bash -c "$line"
    ;;
  start)
    command -v haproxy >/dev/null || { echo "HAProxy is missing: apt-get install haproxy" >&2; exit 1; }
    prepare
    echo "Carolina's cluster: http://localhost:$CLUSTER_PORT/ once Rasa has loaded (a minute); Ctrl-C stops all."
    exec "$(dirname "$HUB_PY")/honcho" -f Procfile.cluster start
    ;;
  *)
    echo "usage: $0 [start|prepare|run NAME]" >&2
    exit 2
    ;;
esac
