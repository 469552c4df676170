#!/usr/bin/env bash
# Load on the chat endpoint with the guided receptionist (no LLM), a release build and SQLite:
# new conversations at a time from CONNECTIONS (default 8) connections for 20 s. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
dir="$(mktemp -d)"
cp appointment-setter.toml "$dir/"
key="$(target/release/appointment-setter keygen --out "$dir/key" | grep -o 'TELNYX_PUBLIC_KEY=.*' | cut -d= -f2-)"
(cd "$dir" && CHAT_ALLOW_ANONYMOUS=true CHAT_MAX_PER_MINUTE=10000000 TELNYX_PUBLIC_KEY="$key" BIND=127.0.0.1:8282 \
  RUST_LOG=error "$OLDPWD/target/release/appointment-setter" serve) &
server=$!
trap 'kill $server; rm -rf "$dir"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null localhost:8282/healthz && break; sleep 0.1; done
wrk -t2 -c"${CONNECTIONS:-8}" -d20s --latency -s scripts/chat_load.lua http://127.0.0.1:8282
