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

# apply KIND LABEL CONFIG STREAM [CONSUMER]: edit the object to its declared config when it exists, create it otherwise
# (`add` takes the stream alone: a consumer's name is its config's durable_name).
apply() {
    kind="$1" label="$2" config="$3"
    shift 3
    if nats_ "$kind" info "$@" >/dev/null 2>&1; then
        echo "nats-init: $kind $label exists: applying its declared config"
        if ! nats_ "$kind" edit "$@" --config "$config" --force; then
            echo "nats-init: $kind $label cannot be changed to its declared config (see the error above)" >&2
            exit 1
        fi
    else
        echo "nats-init: creating $kind $label"
        nats_ "$kind" add "$1" --config "$config"
    fi
}

streams=0
for config in "$STREAMS_DIR"/stream.*.json; do
    [ -e "$config" ] || continue
    streams=$((streams + 1))
    stream="$(basename "$config" .json)"
    stream="${stream#stream.}"
    apply stream "$stream" "$config" "$stream"
done

consumers=0
for config in "$STREAMS_DIR"/consumer.*.json; do
    [ -e "$config" ] || continue
    consumers=$((consumers + 1))
    name="$(basename "$config" .json)"
    name="${name#consumer.}"
    stream="${name%%.*}"
    consumer="${name#*.}"
    apply consumer "$stream/$consumer" "$config" "$stream" "$consumer"
done
echo "nats-init: $streams stream(s) and $consumers consumer(s) in place"
