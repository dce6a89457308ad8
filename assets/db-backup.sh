# One backup of Pulse's PostgreSQL, run by the chart's backup CronJob (pulse:postgresql.backup) as the admin: the roles
# (pg_dumpall --globals-only) and each database given (pg_dump, custom format: TimescaleDB's documented way, restored
# with pg_restore between timescaledb_pre_restore() and timescaledb_post_restore(); docs/operations.md). Written to a
# hidden directory first and renamed when complete, so a directory named after its time is always a whole backup; then
# only the newest KEEP are kept. Arguments: KEEP DATABASE...; PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDUMP_DIR come
# from the chart.
set -eu
keep="$1"
shift
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
work="$PGDUMP_DIR/.partial-$stamp"
rm -rf "$PGDUMP_DIR"/.partial-*
mkdir "$work"
pg_dumpall --no-password --globals-only --file="$work/globals.sql"
for db in "$@"; do
    pg_dump --no-password --format=custom --file="$work/$(printf '%s' "$db" | tr -c 'A-Za-z0-9_.-' '_').dump" "$db"
done
mv "$work" "$PGDUMP_DIR/$stamp"
ls -1 "$PGDUMP_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort -r | tail -n +"$((keep + 1))" | while read -r old; do
    rm -rf "${PGDUMP_DIR:?}/$old"
done
echo "backup $stamp complete: $(ls "$PGDUMP_DIR/$stamp" | tr '\n' ' ')"
