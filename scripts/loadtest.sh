#!/usr/bin/env bash
# Sustained-ingest load test of `serve` over loopback with SQLite dedupe (issue #4 targets):
# unique signed webhooks, duplicates and invalid signatures at 64 concurrent connections, and the
# server's memory before and after. Everything stays on 127.0.0.1 and stops by itself.
#   scripts/loadtest.sh [REQUESTS]        (default 100000 per mode)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-100000}"
cargo build --release --quiet --bin appointment-setter --example loadtest
bin=target/release/appointment-setter
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp appointment-setter.toml "$work/"
"$bin" keygen --out "$work/key" > "$work/keygen.txt"
public="$(grep TELNYX_PUBLIC_KEY "$work/keygen.txt" | cut -d= -f2-)"
port=18181
TELNYX_PUBLIC_KEY="$public" BIND="127.0.0.1:$port" RUST_LOG=warn "$bin" --config "$work/appointment-setter.toml" serve 2> "$work/serve.log" &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$server/status"; }
echo "server RSS at start: $(rss)"
url="http://127.0.0.1:$port/webhooks/telnyx"
load() { target/release/examples/loadtest --url "$url" --key-file "$work/key" --concurrency 64 "$@"; }
# Warm-up: caches, pools and buffers reach their working size.
load --mode unique --requests 100000 > /dev/null
echo "server RSS after a 100000-webhook warm-up: $(rss)"
# Unique events in five chunks, memory after each: it should stay flat.
for chunk in 1 2 3 4 5; do
  load --mode unique --requests $((requests / 5))
  echo "server RSS after unique chunk $chunk: $(rss)"
done
for mode in duplicate invalid; do
  load --mode "$mode" --requests "$requests"
  echo "server RSS after $mode: $(rss)"
done
