#!/usr/bin/env bash
# Runs Pulse's real migrations on a fresh database set up by assets/db-setup.sql, the way a deployment does: a throwaway
# PostgreSQL server (15 or newer, with TimescaleDB), the setup as its superuser, then Pulse's own migrator
# (db/migrate.py, with images/migrations.sed applied as the migrator image has it) and provision-api's startup DDL as
# the app role iot, then what the services do at run time
# (SET LOCAL ROLE pulse_operator). Twice: as in-cluster (the chart has created the role and the database) and as an
# external database (nothing exists but the server). The setup runs twice each time: it must be idempotent.
#
# Usage: scripts/check-migrations.sh PULSE_CHECKOUT
#   PULSE_CHECKOUT: a checkout of andrewcho-dev/opsconductor-pulse (db/migrate.py, db/migrations, services/provision_api).
# Needs: PostgreSQL's server binaries (PG_BIN, default: pg_config --bindir) with the timescaledb extension installed,
# psql, python3 with psycopg2 (PYTHON, default python3). Exit 0 when every migration applied.
set -euo pipefail
cd "$(dirname "$0")/.."
PULSE=${1:?usage: scripts/check-migrations.sh PULSE_CHECKOUT}
PULSE=$(cd "$PULSE" && pwd)
PG_BIN=${PG_BIN:-$(pg_config --bindir)}
PYTHON=${PYTHON:-python3}
SETUP=$PWD/assets/db-setup.sql
WORK=$(mktemp -d)
chmod 755 "$WORK"
PORT=5439
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop() { as_server "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop EXIT

# The migrations as the migrator image holds them: images/migrations.sed applied (images/Dockerfile).
DB=$WORK/db
mkdir -p "$DB" && cp -r "$PULSE/db/migrate.py" "$PULSE/db/migrations" "$DB/"
sed -E -i -f images/migrations.sed "$DB/migrations/117_operator_role_granularity.sql"
grep -q to_regclass "$DB/migrations/117_operator_role_granularity.sql" || { echo "images/migrations.sed no longer applies to 117"; exit 1; }

ADMIN_PASSWORD=check-admin-pw APP_PASSWORD=check-app-pw KC_PASSWORD=check-kc-pw
run() { # variant: chart | external
    local variant=$1 data=$WORK/data
    as_server "$PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$data"; mkdir -p "$data"; [ "$(id -u)" = 0 ] && chown postgres "$data" "$WORK"
    echo "$ADMIN_PASSWORD" > "$WORK/pw" && chmod 644 "$WORK/pw"
    as_server "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$WORK/pw" --auth=scram-sha-256 >/dev/null
    as_server "$PG_BIN/pg_ctl" -D "$data" -l "$WORK/server.log" -w \
        -o "-p $PORT -k $WORK -c listen_addresses= -c shared_preload_libraries=timescaledb" start >/dev/null
    export PGHOST=$WORK PGPORT=$PORT
    local admin=(env PGUSER=postgres PGPASSWORD="$ADMIN_PASSWORD" PGDATABASE=postgres psql --no-psqlrc -q -v ON_ERROR_STOP=1)
    echo "== $variant: PostgreSQL $("${admin[@]}" -Atc 'SHOW server_version'), TimescaleDB $("${admin[@]}" -Atc "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'")"
    if [ "$variant" = chart ]; then
        # What the Bitnami chart does at its first start: the user with its password, and the database it owns.
        "${admin[@]}" -c "CREATE ROLE iot LOGIN PASSWORD 'chart-initial-pw'" -c "CREATE DATABASE iotcloud OWNER iot"
    fi
    for _ in 1 2; do
        env APP_DB=iotcloud APP_USER=iot APP_PASSWORD="$APP_PASSWORD" KEYCLOAK_DB=keycloak KEYCLOAK_USER=keycloak \
            KEYCLOAK_PASSWORD="$KC_PASSWORD" "${admin[@]}" --file "$SETUP" >/dev/null
    done
    echo "setup ran twice as the superuser"
    export DATABASE_URL="postgresql://iot:$APP_PASSWORD@/iotcloud?host=$WORK&port=$PORT"
    (cd "$DB" && "$PYTHON" migrate.py) > "$WORK/migrate.log" 2>&1 || { tail -20 "$WORK/migrate.log"; echo "FAILED: migrations ($variant)"; exit 1; }
    # The runner tracks a migration by its number (036a_* shares 036's and never runs): every number must be applied.
    local versions applied
    versions=$(find "$DB/migrations" -name '[0-9]*.sql' -printf '%f\n' | sed -E 's/^0*([0-9]+).*/\1/' | sort -u | wc -l)
    applied=$(psql --no-psqlrc "$DATABASE_URL" -Atc 'SELECT count(DISTINCT version::int) FROM schema_migrations')
    echo "migrations: $applied of $versions applied as iot ($(grep -c '"Applying' "$WORK/migrate.log") run now)"
    [ "$applied" = "$versions" ] || { echo "FAILED: not every migration applied ($variant)"; exit 1; }
    # provision-api's startup DDL (its init Job's work), read from its source, as iot.
    "$PYTHON" - "$PULSE/services/provision_api/app.py" <<'PY'
import ast, os, sys
import psycopg2
tree = ast.parse(open(sys.argv[1]).read())
ddl = next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "DDL" for t in n.targets))
with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
    for stmt in (s.strip() for s in ddl.split(";")):
        if stmt:
            cur.execute(stmt + ";")
print("provision-api startup DDL: ran as iot")
PY
    # What the services do at run time: act as pulse_operator (row-level security bypass) within a transaction.
    psql --no-psqlrc -v ON_ERROR_STOP=1 -q "$DATABASE_URL" -c "BEGIN; SET LOCAL ROLE pulse_operator; SELECT count(*) FROM device_registry; COMMIT;" >/dev/null
    env PGUSER=keycloak PGPASSWORD="$KC_PASSWORD" PGDATABASE=keycloak psql --no-psqlrc -Atc "SELECT current_user" >/dev/null
    echo "runtime: iot sets role pulse_operator; keycloak logs in to its own database"
}
run chart
run external
echo "OK: Pulse's migrations succeed on a fresh database set up by assets/db-setup.sql, in-cluster and external"
