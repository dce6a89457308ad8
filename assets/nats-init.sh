#!/bin/sh
# Creates or updates Pulse's JetStream streams, idempotently: one <STREAM>.json (a JetStream StreamConfig) per stream
# in $STREAMS_DIR. Waits up to $WAIT_SECONDS for NATS ($NATS_URL) to answer. An existing stream is edited to the
# declared config (a no-op when nothing changed); a change the server refuses (storage type, ...) fails the Job.
# POLL_SECONDS (default 2) is the pause between readiness checks.
set -eu

: "${NATS_URL:?NATS_URL is required}"
: "${STREAMS_DIR:?STREAMS_DIR is required}"
WAIT_SECONDS="${WAIT_SECONDS:-120}"
POLL_SECONDS="${POLL_SECONDS:-2}"
export HOME="${HOME:-/tmp}"

waited=0
until nats --server "$NATS_URL" account info >/dev/null 2>&1; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
        echo "nats-init: NATS at $NATS_URL did not answer within ${WAIT_SECONDS}s" >&2
        exit 1
    fi
    sleep "$POLL_SECONDS"
    waited=$((waited + POLL_SECONDS))
done

found=0
for config in "$STREAMS_DIR"/*.json; do
    [ -e "$config" ] || continue
    found=$((found + 1))
    stream="$(basename "$config" .json)"
    if nats --server "$NATS_URL" stream info "$stream" >/dev/null 2>&1; then
        echo "nats-init: stream $stream exists: applying its declared config"
        if ! nats --server "$NATS_URL" stream edit "$stream" --config "$config" --force; then
            echo "nats-init: stream $stream cannot be changed to its declared config (see the error above)" >&2
            exit 1
        fi
    else
        echo "nats-init: creating stream $stream"
        nats --server "$NATS_URL" stream add "$stream" --config "$config"
    fi
done
echo "nats-init: $found stream(s) in place"
