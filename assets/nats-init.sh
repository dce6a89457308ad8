#!/bin/sh
# Creates or updates Pulse's JetStream streams and durable consumers, idempotently, from $STREAMS_DIR:
# stream.<STREAM>.json (a JetStream StreamConfig) per stream, then consumer.<STREAM>.<NAME>.json (a ConsumerConfig)
# per consumer. Waits up to $WAIT_SECONDS for NATS ($NATS_URL) to answer. What exists is edited to its declared config
# (a no-op when nothing changed); a change the server refuses (storage type, ack policy, ...) fails the Job.
# POLL_SECONDS (default 2) is the pause between readiness checks.
set -eu

: "${NATS_URL:?NATS_URL is required}"
: "${STREAMS_DIR:?STREAMS_DIR is required}"
WAIT_SECONDS="${WAIT_SECONDS:-120}"
POLL_SECONDS="${POLL_SECONDS:-2}"
export HOME="${HOME:-/tmp}"

nats_() { nats --server "$NATS_URL" "$@"; }

waited=0
until nats_ account info >/dev/null 2>&1; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
        echo "nats-init: NATS at $NATS_URL did not answer within ${WAIT_SECONDS}s" >&2
        exit 1
    fi
    sleep "$POLL_SECONDS"
    waited=$((waited + POLL_SECONDS))
done

streams=0
for config in "$STREAMS_DIR"/stream.*.json; do
    [ -e "$config" ] || continue
    streams=$((streams + 1))
    stream="$(basename "$config" .json)"
    stream="${stream#stream.}"
    if nats_ stream info "$stream" >/dev/null 2>&1; then
        echo "nats-init: stream $stream exists: applying its declared config"
        if ! nats_ stream edit "$stream" --config "$config" --force; then
            echo "nats-init: stream $stream cannot be changed to its declared config (see the error above)" >&2
            exit 1
        fi
    else
        echo "nats-init: creating stream $stream"
        nats_ stream add "$stream" --config "$config"
    fi
done

consumers=0
for config in "$STREAMS_DIR"/consumer.*.json; do
    [ -e "$config" ] || continue
    consumers=$((consumers + 1))
    name="$(basename "$config" .json)"
    name="${name#consumer.}"
    stream="${name%%.*}"
    consumer="${name#*.}"
    if nats_ consumer info "$stream" "$consumer" >/dev/null 2>&1; then
        echo "nats-init: consumer $stream/$consumer exists: applying its declared config"
        if ! nats_ consumer edit "$stream" "$consumer" --config "$config" --force; then
            echo "nats-init: consumer $stream/$consumer cannot be changed to its declared config (see the error above)" >&2
            exit 1
        fi
    else
        echo "nats-init: creating consumer $stream/$consumer"
        nats_ consumer add "$stream" --config "$config"
    fi
done
echo "nats-init: $streams stream(s) and $consumers consumer(s) in place"
