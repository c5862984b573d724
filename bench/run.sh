#!/usr/bin/env bash
# netloom benchmark: netloom's HTTP and XML-RPC servers on each runtime side by side with
# anchor servers (hyper hello, dxr_server XML-RPC, CPython's SimpleXMLRPCServer, nginx and
# python3 -m http.server for static files), all under the same wrk load on 127.0.0.1, in one
# run; both the example handlers and the `netloom` CLI's own servers. See bench/README.md.
#
#   bench/run.sh            req/s and p99 table (scenarios: hello, xmlrpc-add, xmlrpc-multicall,
#                           static, fairness)
#   bench/run.sh download   1 GiB loopback download with netloom's retrieve, with peak RSS
#
# Environment (all optional):
#   DURATION=10      seconds of wrk load per server and scenario
#   CONNS=64         wrk connections
#   STATIC_CONNS=32  wrk connections for the static scenario
#   WRK_THREADS=1    wrk threads
#   ROUNDS=1         rounds over all servers; the table keeps each server's best round
#   WARMUP=1         seconds of unmeasured wrk load before each measurement (0 = none)
#   RUNTIMES="std mio smol"          netloom runtimes to measure
#   SCENARIOS="hello xmlrpc-add xmlrpc-multicall static fairness"
#   FAIRNESS_HEAVY=4 FAIRNESS_CALLS=90000 FAIRNESS_RATE=200   the fairness flood (bench/README.md)
#   ANCHOR_THREADS=2 tokio worker threads of the Rust anchors (0 = current_thread runtime)
#   PYTHON=python3   interpreter for the CPython anchor
#   SKIP_BUILD=1     use the binaries already built
#   SIZE=1073741824  bytes for the download mode
#   DOWNLOAD_TIMEOUT=300  seconds before the download mode gives up
#
# Only 127.0.0.1 is ever targeted; every server this script starts is stopped by it.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$ROOT"

MODE="${1:-bench}"
DURATION="${DURATION:-10}"
CONNS="${CONNS:-64}"
STATIC_CONNS="${STATIC_CONNS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
WARMUP="${WARMUP:-1}"
ROUNDS="${ROUNDS:-1}"
RUNTIMES="${RUNTIMES:-std mio smol}"
SCENARIOS="${SCENARIOS:-hello xmlrpc-add xmlrpc-multicall static fairness}"
FAIRNESS_HEAVY="${FAIRNESS_HEAVY:-4}"
FAIRNESS_CALLS="${FAIRNESS_CALLS:-90000}"
FAIRNESS_RATE="${FAIRNESS_RATE:-200}"
ANCHOR_THREADS="${ANCHOR_THREADS:-2}"
SIZE="${SIZE:-1073741824}"
DOWNLOAD_TIMEOUT="${DOWNLOAD_TIMEOUT:-300}"
PYTHON="${PYTHON:-python3}"

ANCHOR_BIN="$BENCH_DIR/target/release"
# Where the netloom example binaries and the CLI are (override only to test this script).
EXAMPLES="${NETLOOM_EXAMPLES:-$ROOT/target/release/examples}"
CLI="${NETLOOM_CLI:-$ROOT/target/release/netloom}"
HOST=127.0.0.1

RAW="$(mktemp -d "${TMPDIR:-/tmp}/netloom-bench.XXXXXX")"
SERVER_PID=""
START_ERROR=""

cleanup() {
    stop_server
    rm -rf "$RAW"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------

ensure_tools() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    if [[ " $SCENARIOS " == *" static "* ]] && ! nginx_bin >/dev/null; then
        missing+=(nginx)
    fi
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if ((${#missing[@]})); then
        log "installing: ${missing[*]}"
        local sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    command -v cargo >/dev/null 2>&1 || { log "cargo not found"; exit 1; }
}

# --- builds ------------------------------------------------------------------------------

NETLOOM_BUILD_OK=1

build_all() {
    if [[ "${SKIP_BUILD:-0}" == 1 ]]; then
        log "SKIP_BUILD=1: using binaries already built"
        return
    fi
    log "building anchors (release, CARGO_TARGET_DIR=bench/target) ..."
    CARGO_TARGET_DIR="$BENCH_DIR/target" cargo build --release --quiet \
        --manifest-path "$BENCH_DIR/anchors/Cargo.toml"
    log "building netloom and its examples (cargo build --release --bins --examples -p netloom) ..."
    if ! cargo build --release --quiet --bins --examples -p netloom; then
        NETLOOM_BUILD_OK=0
        log "netloom did not build: netloom servers are skipped in this run"
    fi
}

# nginx_bin: prints the nginx binary (Debian puts it in /usr/sbin, often not on PATH).
nginx_bin() {
    command -v nginx 2>/dev/null || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; }
}

# --- servers -----------------------------------------------------------------------------

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server PORT CMD...: starts CMD in the background and waits (at most 10 s) until it
# accepts on 127.0.0.1:PORT. Returns non-zero if it exits or never accepts.
start_server() {
    local port="$1"; shift
    "$@" >"$RAW/server.log" 2>&1 &
    SERVER_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            local rc=0
            wait "$SERVER_PID" 2>/dev/null || rc=$?
            SERVER_PID=""
            START_ERROR="exited with status $rc"
            return 1
        fi
        if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    stop_server
    START_ERROR="not accepting after 10 s"
    return 1
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    local pid="$SERVER_PID" i
    SERVER_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# check_answer SCENARIO PORT: one request by Python's own client; prints "ok" or what was wrong.
check_answer() {
    timeout 10 python3 - "$1" "$2" "$WWW/big.bin" <<'EOF' 2>&1 | tail -n 1
import sys, urllib.request, xmlrpc.client
scenario, port = sys.argv[1], int(sys.argv[2])
url = f"http://127.0.0.1:{port}/"
try:
    if scenario == "hello":
        with urllib.request.urlopen(url, timeout=5) as r:
            body = r.read()
        ok = r.status == 200 and body.strip() == b"Hello, world!"
        got = (r.status, body[:40])
    elif scenario == "static-14b":
        with urllib.request.urlopen(url + "small.txt", timeout=5) as r:
            body = r.read()
        ok = r.status == 200 and body == b"Hello, world!\n"
        got = (r.status, body[:40])
    elif scenario == "static-64k":
        with urllib.request.urlopen(url + "big.bin", timeout=5) as r:
            body = r.read()
        ok = r.status == 200 and body == open(sys.argv[3], "rb").read()
        got = (r.status, len(body))
    elif scenario == "xmlrpc-add":
        got = xmlrpc.client.ServerProxy(url).add(7, 3)
        ok = got == 10
    else:
        m = xmlrpc.client.MultiCall(xmlrpc.client.ServerProxy(url))
        m.add(7, 3); m.subtract(7, 3); m.multiply(7, 3); m.divide(7, 3)
        got = list(m())
        ok = got == [10, 4, 21, 2]
    print("ok" if ok else f"wrong answer: {got!r}")
except Exception as e:
    print(f"check failed: {type(e).__name__}: {e}"[:120])
EOF
}

# --- wrk ---------------------------------------------------------------------------------

# Results, in run order: "server|scenario|req/s|p99 ms|note"
RESULTS=()

script_for() {
    case "$1" in
        hello | static-*) echo "" ;;
        xmlrpc-add) echo "$BENCH_DIR/xmlrpc_add.lua" ;;
        xmlrpc-multicall) echo "$BENCH_DIR/xmlrpc_multicall.lua" ;;
    esac
}

# to_ms VALUE: wrk latency (e.g. 812.00us, 6.89ms, 1.02s) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

path_for() {
    case "$1" in
        static-14b) echo "/small.txt" ;;
        static-64k) echo "/big.bin" ;;
        *) echo "/" ;;
    esac
}

run_wrk() { # run_wrk SCENARIO PORT SECONDS OUT
    local script args=() conns="$CONNS"
    script="$(script_for "$1")"
    [[ -n "$script" ]] && args+=(-s "$script")
    [[ "$1" == static-* ]] && conns="$STATIC_CONNS"
    timeout $(($3 + 30)) wrk -t"$WRK_THREADS" -c"$conns" -d"$3"s --timeout 5s --latency \
        "${args[@]}" "http://$HOST:$2$(path_for "$1")" >"$4" 2>&1
}

# measure NAME SCENARIO CMD... (the literal PORT in CMD is replaced by the chosen port)
measure() {
    local name="$1" scenario="$2"; shift 2
    local port cmd=() arg
    port="$(free_port)"
    for arg in "$@"; do cmd+=("${arg//PORT/$port}"); done
    log "-- $name / $scenario on $HOST:$port"
    if ! start_server "$port" "${cmd[@]}"; then
        log "   did not start: $(tail -n 3 "$RAW/server.log" 2>/dev/null | tr '\n' ' ')"
        RESULTS+=("$name|$scenario|-|-|did not start: $START_ERROR")
        return
    fi
    local check note=""
    check="$(check_answer "$scenario" "$port")" || check="${check:-check timed out}"
    [[ "$check" == ok ]] || note="$check"
    if ((WARMUP > 0)); then
        run_wrk "$scenario" "$port" "$WARMUP" "$RAW/warmup.txt" || true
    fi
    local out="$RAW/$name.$scenario.txt"
    if ! run_wrk "$scenario" "$port" "$DURATION" "$out"; then
        stop_server
        log "   wrk failed: $(tail -n 3 "$out" | tr '\n' ' ')"
        RESULTS+=("$name|$scenario|-|-|wrk failed${note:+; $note}")
        return
    fi
    stop_server
    local rps p99 errs non2xx
    rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")"
    p99="$(awk '$1 == "99%" {print $2}' "$out")"
    if [[ -n "$p99" ]]; then p99="$(to_ms "$p99")"; else p99="-"; fi
    # "Socket errors: connect 0, read 2, write 0, timeout 1" -> "read 2, timeout 1"
    errs="$(awk '/Socket errors:/ {
        sub(/^ *Socket errors: */, ""); n = split($0, f, /, */); out = ""
        for (i = 1; i <= n; i++) if (f[i] !~ / 0$/) out = out (out == "" ? "" : ", ") f[i]
        print out }' "$out")"
    non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
    [[ -n "$non2xx" ]] && note="${note:+$note; }non-2xx: $non2xx"
    [[ -n "$errs" ]] && note="${note:+$note; }socket errors: $errs"
    log "   $rps req/s, p99 $p99 ms${note:+ ($note)}"
    RESULTS+=("$name|$scenario|$rps|$p99|$note")
}

# skip NAME SCENARIO WHY
skip() {
    log "-- $1 / $2: skipped, $3"
    RESULTS+=("$1|$2|-|-|$3")
}

netloom_server() { # netloom_server EXAMPLE RUNTIME SCENARIO
    local bin="$EXAMPLES/$1" name="netloom-$2"
    if ((NETLOOM_BUILD_OK == 0)); then
        skip "$name" "$3" "not built (cargo build failed)"
    elif [[ ! -x "$bin" ]]; then
        skip "$name" "$3" "not built (target/release/examples/$1 missing)"
    else
        measure "$name" "$3" "$bin" --runtime "$2" --port PORT
    fi
}

# cli_server NAME SCENARIO ARGS...: the netloom CLI (`netloom ARGS... -p PORT`) as users run
# it: its defaults, and its access log on (into the server's log file).
cli_server() {
    local name="$1" scenario="$2"; shift 2
    if ((NETLOOM_BUILD_OK == 0)); then
        skip "$name" "$scenario" "not built (cargo build failed)"
    elif [[ ! -x "$CLI" ]]; then
        skip "$name" "$scenario" "not built (target/release/netloom missing)"
    else
        measure "$name" "$scenario" "$CLI" "$@" -p PORT
    fi
}

anchor_server() { # anchor_server NAME SCENARIO CMD...
    local name="$1" scenario="$2"; shift 2
    if [[ ! -e "$1" ]] && ! command -v "$1" >/dev/null 2>&1; then
        skip "$name" "$scenario" "not built (${1#"$ROOT/"} missing)"
    else
        measure "$name" "$scenario" "$@"
    fi
}

# --- static files and fairness -----------------------------------------------------------

WWW="$RAW/www"

# make_www: the static scenario's files, the same for every server: 14 bytes and 64 KiB,
# written early (the CLI's file cache takes files once they have not changed for 2 s).
make_www() {
    mkdir -p "$WWW"
    printf 'Hello, world!\n' >"$WWW/small.txt"
    head -c 65536 /dev/urandom >"$WWW/big.bin"
    # nginx's worker runs as nobody: let it in.
    chmod 755 "$RAW" "$WWW"
    chmod 644 "$WWW"/*
}

# nginx_server SCENARIO: Debian's nginx as the static anchor: one worker, sendfile on, access
# log off (and Debian's tcp_nopush on), on 127.0.0.1 only, its config and logs in the temp
# dir; stopped by its master's pid like every other server.
nginx_server() {
    local bin
    if ! bin="$(nginx_bin)"; then
        skip nginx "$1" "not installed"
        return
    fi
    mkdir -p "$RAW/nginx"
    measure nginx "$1" "$BENCH_DIR/nginx.sh" "$bin" "$RAW/nginx" "$WWW" "$HOST" PORT
}

# Fairness results: "server|add p50|add p99|max|heavy/s|note"
FAIR=()

# fairness NAME CLI-ARGS...: the CLI's calculator under bench_fairness's flood of heavy
# multicalls, and the latency of normal adds meanwhile.
fairness() {
    local name="$1"; shift
    local bin="$EXAMPLES/bench_fairness" port line
    if ((NETLOOM_BUILD_OK == 0)) || [[ ! -x "$bin" || ! -x "$CLI" ]]; then
        FAIR+=("$name|-|-|-|-|not built")
        return
    fi
    port="$(free_port)"
    log "-- $name / fairness on $HOST:$port"
    if ! start_server "$port" "$CLI" "$@" -p "$port"; then
        FAIR+=("$name|-|-|-|-|did not start: $START_ERROR")
        return
    fi
    line="$(timeout $((DURATION + 120)) "$bin" --port "$port" --seconds "$DURATION" \
        --heavy "$FAIRNESS_HEAVY" --calls "$FAIRNESS_CALLS" --rate "$FAIRNESS_RATE" \
        2>"$RAW/fairness.err" | tail -n 1)" || true
    stop_server
    if [[ "$line" != fairness:* ]]; then
        FAIR+=("$name|-|-|-|-|failed: $(tail -n 1 "$RAW/fairness.err" | cut -c1-80)")
        return
    fi
    log "   $line"
    # "fairness: add p50 A ms p99 B ms max C ms (N calls, ...); heavy H/s (...)"
    local p50 p99 max heavy note
    p50="$(awk '{print $4}' <<<"$line")"
    p99="$(awk '{print $7}' <<<"$line")"
    max="$(awk '{print $10}' <<<"$line")"
    heavy="$(sed -n 's/.*heavy \([0-9.]*\)\/s.*/\1/p' <<<"$line")"
    note="$(sed -n 's/.* ms (\(.*\)); heavy [0-9.]*\/s (\(.*\))$/adds: \1; heavy: \2/p' <<<"$line")"
    FAIR+=("$name|$p50|$p99|$max|$heavy|$note")
}

print_fairness() {
    ((${#FAIR[@]})) || return 0
    echo
    echo "fairness: $FAIRNESS_HEAVY clients flood the CLI's calculator (netloom xmlrpc serve) with" \
        "gzipped $FAIRNESS_CALLS-call multicalls; add(7, 3) at $FAIRNESS_RATE/s meanwhile, each" \
        "timed from when it was due"
    printf '%-10s %10s %10s %10s %9s  %s\n' server "add p50" "add p99" "add max" "heavy/s" notes
    local r n p50 p99 max heavy note
    for r in "${FAIR[@]}"; do
        IFS='|' read -r n p50 p99 max heavy note <<<"$r"
        printf '%-10s %10s %10s %10s %9s  %s\n' "$n" "$p50" "$p99" "$max" "$heavy" "$note"
    done
    echo "goal (issue 16): add p99 <= 50 ms under the flood, on every runtime"
    for r in "${FAIR[@]}"; do
        IFS='|' read -r n _ p99 _ _ _ <<<"$r"
        if [[ "$p99" == "-" ]]; then
            printf '  %-13s not measured\n' "$n"
        else
            awk -v n="$n" -v p="$p99" \
                'BEGIN {printf "  %-13s add p99 %s ms: %s\n", n, p, (p <= 50 ? "met" : "NOT met")}'
        fi
    done
}

# --- report ------------------------------------------------------------------------------

# BEST: one entry per server and scenario, in first-run order: the round with the most req/s.
BEST=()

select_best() {
    local r n s rps i found bn bs brps
    BEST=()
    for r in "${RESULTS[@]}"; do
        IFS='|' read -r n s rps _ _ <<<"$r"
        found=0
        for i in "${!BEST[@]}"; do
            IFS='|' read -r bn bs brps _ _ <<<"${BEST[$i]}"
            if [[ "$bn" == "$n" && "$bs" == "$s" ]]; then
                found=1
                if [[ "$rps" != "-" && ("$brps" == "-" || "$rps" -gt "$brps") ]]; then
                    BEST[i]="$r"
                fi
                break
            fi
        done
        ((found)) || BEST+=("$r")
    done
}

lookup_rps() { # lookup_rps NAME SCENARIO
    local r
    for r in "${BEST[@]}"; do
        IFS='|' read -r n s rps _ _ <<<"$r"
        if [[ "$n" == "$1" && "$s" == "$2" && "$rps" != "-" ]]; then
            echo "$rps"
            return
        fi
    done
}

ratio() { # ratio A B -> "1.23x" or "-"
    if [[ -n "$1" && -n "$2" && "$1" != "-" && "$2" != "-" && "$2" != 0 ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'
    else
        echo "-"
    fi
}

print_table() {
    local hyper dxr
    select_best
    hyper="$(lookup_rps hyper-hello hello)"
    printf '\n%-16s %-17s %10s %10s %-14s %-10s %s\n' \
        server scenario "req/s" "p99 ms" "vs anchor" "vs hyper" notes
    printf '%s\n' "--------------------------------------------------------------------------------------------"
    local r n s rps p99 note anchor_name anchor_rps
    for r in "${BEST[@]}"; do
        IFS='|' read -r n s rps p99 note <<<"$r"
        case "$s" in
            hello) anchor_name="hyper"; anchor_rps="$hyper" ;;
            static-*) anchor_name="nginx"; anchor_rps="$(lookup_rps nginx "$s")" ;;
            *) anchor_name="dxr"; anchor_rps="$(lookup_rps dxr-xmlrpc "$s")" ;;
        esac
        local vs_anchor vs_hyper
        vs_anchor="$(ratio "$rps" "$anchor_rps")"
        [[ "$vs_anchor" != "-" ]] && vs_anchor="$vs_anchor $anchor_name"
        vs_hyper="$(ratio "$rps" "$hyper")"
        printf '%-16s %-17s %10s %10s %-14s %-10s %s\n' "$n" "$s" "$rps" "$p99" \
            "$vs_anchor" "$vs_hyper" "$note"
    done
    echo
    echo "goals (issue 4: hello vs hyper; issue 6: xmlrpc-add vs dxr and vs hyper hello;" \
        "issue 16: the CLI's http serve vs nginx, 1 worker):"
    goal "netloom-mio" hello "$hyper" 1.0 "hyper hello"
    goal "netloom-std" hello "$hyper" 0.7 "hyper hello"
    goal "netloom-smol" hello "$hyper" 0.7 "hyper hello"
    dxr="$(lookup_rps dxr-xmlrpc xmlrpc-add)"
    goal "netloom-mio" xmlrpc-add "$dxr" 1.3 "dxr add"
    goal "netloom-mio" xmlrpc-add "$hyper" 0.85 "hyper hello"
    goal "netloom-std" xmlrpc-add "$dxr" 1.0 "dxr add"
    goal "netloom-smol" xmlrpc-add "$dxr" 1.0 "dxr add"
    local f nginx
    for f in static-14b static-64k; do
        nginx="$(lookup_rps nginx "$f")"
        goal "cli-mio" "$f" "$nginx" 1.0 "nginx"
        goal "cli-std" "$f" "$nginx" 0.8 "nginx"
        goal "cli-smol" "$f" "$nginx" 0.8 "nginx"
        p99_goal "$f"
    done
    print_fairness
}

lookup_p99() { # lookup_p99 NAME SCENARIO
    local r n s p99
    for r in "${BEST[@]}"; do
        IFS='|' read -r n s _ p99 _ <<<"$r"
        if [[ "$n" == "$1" && "$s" == "$2" && "$p99" != "-" ]]; then
            echo "$p99"
            return
        fi
    done
}

p99_goal() { # p99_goal SCENARIO: each CLI row's p99 <= 2x nginx's
    local anchor rt p99 verdict
    anchor="$(lookup_p99 nginx "$1")"
    for rt in $RUNTIMES; do
        p99="$(lookup_p99 "cli-$rt" "$1")"
        if [[ -z "$p99" || -z "$anchor" ]]; then
            verdict="not measured"
        else
            verdict="$(awk -v a="$p99" -v b="$anchor" \
                'BEGIN {printf "%s (%.2f ms, nginx %.2f ms)", (a <= 2 * b ? "met" : "NOT met"), a, b}')"
        fi
        printf '  %-13s %-17s p99 <= 2x nginx %s\n' "cli-$rt" "$1" "$verdict"
    done
}

goal() { # goal NAME SCENARIO ANCHOR_RPS FACTOR LABEL
    local rps verdict
    rps="$(lookup_rps "$1" "$2")"
    if [[ -z "$rps" || -z "$3" ]]; then
        verdict="not measured"
    else
        verdict="$(awk -v a="$rps" -v b="$3" -v f="$4" \
            'BEGIN {printf "%s (%.2fx)", (a >= f * b ? "met" : "NOT met"), a / b}')"
    fi
    printf '  %-13s %-17s >= %4sx %-12s %s\n' "$1" "$2" "$4" "$5" "$verdict"
}

# --- modes -------------------------------------------------------------------------------

bench_mode() {
    ensure_tools
    build_all
    make_www
    local cpus load
    cpus="$(nproc)"
    load="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "netloom bench: wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency on $HOST;" \
        "$cpus cores; load average before: $load; anchors on tokio with" \
        "$( ((ANCHOR_THREADS == 0)) && echo current_thread || echo "$ANCHOR_THREADS workers")"
    ((ROUNDS > 1)) && echo "rounds: $ROUNDS (each row is that server's best round)"
    local anchor_rt=(--threads "$ANCHOR_THREADS") rt scenario round
    for ((round = 1; round <= ROUNDS; round++)); do
    ((ROUNDS > 1)) && log "== round $round of $ROUNDS"
    for scenario in $SCENARIOS; do
        case "$scenario" in
            hello)
                anchor_server hyper-hello hello "$ANCHOR_BIN/hyper-hello" --port PORT "${anchor_rt[@]}"
                for rt in $RUNTIMES; do netloom_server hello_http "$rt" hello; done
                ;;
            xmlrpc-add | xmlrpc-multicall)
                anchor_server cpython "$scenario" "$PYTHON" "$BENCH_DIR/cpython_xmlrpc.py" --port PORT
                anchor_server dxr-xmlrpc "$scenario" "$ANCHOR_BIN/dxr-xmlrpc" --port PORT "${anchor_rt[@]}"
                for rt in $RUNTIMES; do netloom_server bench_xmlrpc "$rt" "$scenario"; done
                # The calculator as the CLI serves it: its defaults, access log on.
                for rt in $RUNTIMES; do cli_server "cli-$rt" "$scenario" --runtime "$rt" xmlrpc serve; done
                ;;
            static)
                local f
                for f in static-14b static-64k; do
                    nginx_server "$f"
                    anchor_server python-http "$f" "$PYTHON" -m http.server --bind "$HOST" --directory "$WWW" PORT
                    for rt in $RUNTIMES; do cli_server "cli-$rt" "$f" --runtime "$rt" http serve "$WWW"; done
                done
                ;;
            fairness)
                for rt in $RUNTIMES; do fairness "cli-$rt" --runtime "$rt" xmlrpc serve; done
                ;;
            *) log "unknown scenario: $scenario"; exit 2 ;;
        esac
    done
    done
    print_table
    echo
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

download_mode() {
    ensure_tools
    if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
        log "building netloom examples (cargo build --release --examples -p netloom) ..."
        cargo build --release --quiet --examples -p netloom || NETLOOM_BUILD_OK=0
    fi
    local bin="$EXAMPLES/bench_download"
    if ((NETLOOM_BUILD_OK == 0)); then
        echo "download: skipped, not built (cargo build failed)"
        return 0
    fi
    if [[ ! -x "$bin" ]]; then
        echo "download: skipped, not built (target/release/examples/bench_download missing)"
        return 0
    fi
    echo "download: $bin --size $SIZE (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    local rc=0
    timeout "$DOWNLOAD_TIMEOUT" /usr/bin/time -v -o "$RAW/time.txt" "$bin" --size "$SIZE" || rc=$?
    if ((rc != 0)); then
        echo "download: bench_download exited with status $rc"
    fi
    if [[ -s "$RAW/time.txt" ]]; then
        local kb wall
        kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RAW/time.txt")"
        wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$RAW/time.txt")"
        awk -v kb="$kb" -v wall="$wall" 'BEGIN {
            printf "download: peak RSS %.1f MiB (%d KiB, goal < 32 MiB: %s), wall %s\n",
                kb / 1024, kb, (kb < 32 * 1024 ? "met" : "NOT met"), wall }'
    fi
    return "$rc"
}

case "$MODE" in
    bench) bench_mode ;;
    download) download_mode ;;
    -h | --help | help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0" ;;
    *) log "usage: $0 [bench|download]"; exit 2 ;;
esac
