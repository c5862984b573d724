#!/usr/bin/env bash
# HTTP client benchmark: netloom's client on each runtime against ureq 3 and reqwest, all
# fetching from one local server (hyper's hello anchor) in one run, on 127.0.0.1 only.
#
#   bench/client.sh
#
# Environment (all optional):
#   REQUESTS=100000   GETs per client and scenario
#   CONCURRENCY=64    callers in the concurrent scenario (the sequential one uses 1)
#   RUNTIMES="std mio smol"
#   SKIP_BUILD=1      use the binaries already built
#
# Every process this script starts is stopped by it, also on Ctrl-C.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$ROOT"

REQUESTS="${REQUESTS:-100000}"
CONCURRENCY="${CONCURRENCY:-64}"
RUNTIMES="${RUNTIMES:-std mio smol}"
ANCHOR_BIN="$BENCH_DIR/target/release"
EXAMPLES="$ROOT/target/release/examples"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "building anchors and netloom's bench_client (release) ..." >&2
    CARGO_TARGET_DIR="$BENCH_DIR/target" cargo build --release --quiet \
        --manifest-path "$BENCH_DIR/anchors/Cargo.toml"
    cargo build --release --quiet --example bench_client -p netloom
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
"$ANCHOR_BIN/hyper-hello" --port "$port" --threads 2 >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
url="http://127.0.0.1:$port/"

# run NAME CMD...: prints the requests/s the command reports.
run() {
    local out
    out="$("$@" 2>&1 | tail -n 1)"
    awk '{print $1}' <<<"$out"
}

declare -A rps
for scenario in sequential concurrent; do
    c=1
    [[ "$scenario" == concurrent ]] && c="$CONCURRENCY"
    rps["ureq/$scenario"]="$(run "$ANCHOR_BIN/ureq-client" --url "$url" --requests "$REQUESTS" --concurrency "$c")"
    rps["reqwest/$scenario"]="$(run "$ANCHOR_BIN/reqwest-client" --url "$url" --requests "$REQUESTS" --concurrency "$c")"
    for rt in $RUNTIMES; do
        rps["netloom-$rt/$scenario"]="$(run "$EXAMPLES/bench_client" --runtime "$rt" --url "$url" --requests "$REQUESTS" --concurrency "$c")"
    done
done

printf '\n| client | sequential req/s | × ureq | × reqwest | %s concurrent req/s | × ureq | × reqwest |\n' "$CONCURRENCY"
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for name in ureq reqwest $(for rt in $RUNTIMES; do echo "netloom-$rt"; done); do
    s="${rps[$name/sequential]}"
    c="${rps[$name/concurrent]}"
    ratio() { python3 -c "print(f'{$1/$2:.2f}')" 2>/dev/null || echo "-"; }
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$s" \
        "$(ratio "$s" "${rps[ureq/sequential]}")" "$(ratio "$s" "${rps[reqwest/sequential]}")" \
        "$c" "$(ratio "$c" "${rps[ureq/concurrent]}")" "$(ratio "$c" "${rps[reqwest/concurrent]}")"
done
echo
echo "(server: hyper hello, 2 tokio workers, on the same 2 cores as the clients)"
