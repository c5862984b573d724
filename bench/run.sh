#!/usr/bin/env bash
# netloom benchmark: netloom's HTTP and XML-RPC servers on each runtime side by side with
# anchor servers (hyper hello, dxr_server XML-RPC, CPython's SimpleXMLRPCServer, nginx and
# python3 -m http.server for static files), all under the same wrk load on 127.0.0.1, in one
# run; both the example handlers and the `netloom` CLI's own servers. See bench/README.md.
#
#   bench/run.sh            req/s and p99 table (scenarios: hello, xmlrpc-add, xmlrpc-multicall,
#                           static, fairness)
#   bench/run.sh download   1 GiB loopback download with netloom's retrieve, with peak RSS
#   bench/run.sh tls        the TLS benchmarks alone, beside their plaintext twins (scenarios:
#                           hello, https-hello, xmlrpc-add, https-xmlrpc-add, https-download,
#                           tls-idle)
#
# Environment (all optional):
#   DURATION=10      seconds of wrk load per server and scenario
#   CONNS=64         wrk connections
#   STATIC_CONNS=32  wrk connections for the static scenario
#   WRK_THREADS=1    wrk threads
#   ROUNDS=1         rounds over all servers; the table keeps each server's best round
#   WARMUP=1         seconds of unmeasured wrk load before each measurement (0 = none)
#   RUNTIMES="std mio smol"          netloom runtimes to measure
#   SCENARIOS="hello xmlrpc-add xmlrpc-multicall static fairness https-hello https-xmlrpc-add
#              https-download tls-idle"
#   FAIRNESS_HEAVY=4 FAIRNESS_CALLS=90000 FAIRNESS_RATE=200   the fairness flood (bench/README.md)
#   ANCHOR_THREADS=2 tokio worker threads of the Rust anchors (0 = current_thread runtime)
#   PYTHON=python3   interpreter for the CPython anchor
#   SKIP_BUILD=1     use the binaries already built
#   SIZE=1073741824  bytes for the download mode and the https-download scenario
#   DOWNLOAD_TIMEOUT=300  seconds before a download gives up
#   IDLE_CONNS=10000 connections held open by the tls-idle scenario
#   IDLE_RUNTIMES="mio smol"  runtimes of the CLI measured by tls-idle
#   IDLE_SETTLE=2    seconds between the last connection opened and the memory reading
#
# Only 127.0.0.1 is ever targeted; every server this script starts is stopped by it.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$ROOT"

MODE="${1:-bench}"
TLS_SCENARIOS="hello https-hello xmlrpc-add https-xmlrpc-add https-download tls-idle"
[[ "$MODE" == tls ]] && SCENARIOS="${SCENARIOS:-$TLS_SCENARIOS}"
DURATION="${DURATION:-10}"
CONNS="${CONNS:-64}"
STATIC_CONNS="${STATIC_CONNS:-32}"
WRK_THREADS="${WRK_THREADS:-1}"
WARMUP="${WARMUP:-1}"
ROUNDS="${ROUNDS:-1}"
RUNTIMES="${RUNTIMES:-std mio smol}"
SCENARIOS="${SCENARIOS:-hello xmlrpc-add xmlrpc-multicall static fairness https-hello https-xmlrpc-add https-download tls-idle}"
FAIRNESS_HEAVY="${FAIRNESS_HEAVY:-4}"
FAIRNESS_CALLS="${FAIRNESS_CALLS:-90000}"
FAIRNESS_RATE="${FAIRNESS_RATE:-200}"
ANCHOR_THREADS="${ANCHOR_THREADS:-2}"
SIZE="${SIZE:-1073741824}"
DOWNLOAD_TIMEOUT="${DOWNLOAD_TIMEOUT:-300}"
IDLE_CONNS="${IDLE_CONNS:-10000}"
IDLE_RUNTIMES="${IDLE_RUNTIMES:-mio smol}"
IDLE_SETTLE="${IDLE_SETTLE:-2}"
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
    if [[ " $SCENARIOS " == *" https-"* || " $SCENARIOS " == *" tls-idle "* ]]; then
        command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    fi
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

# check_answer SCENARIO PORT: one request by Python's own client (over https:// for the
# https-* scenarios, trusting only the run's own CA); prints "ok" or what was wrong.
check_answer() {
    timeout 10 python3 - "$1" "$2" "$WWW/big.bin" "$TLS_DIR/ca.pem" <<'EOF' 2>&1 | tail -n 1
import ssl, sys, urllib.request, xmlrpc.client
scenario, port = sys.argv[1], int(sys.argv[2])
ctx = None
if scenario.startswith("https-"):
    scenario = scenario[len("https-"):]
    ctx = ssl.create_default_context(cafile=sys.argv[4])
    url = f"https://127.0.0.1:{port}/"
else:
    url = f"http://127.0.0.1:{port}/"
try:
    if scenario == "hello":
        with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
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
        got = xmlrpc.client.ServerProxy(url, context=ctx).add(7, 3)
        ok = got == 10
    else:
        m = xmlrpc.client.MultiCall(xmlrpc.client.ServerProxy(url, context=ctx))
        m.add(7, 3); m.subtract(7, 3); m.multiply(7, 3); m.divide(7, 3)
        got = list(m())
        ok = got == [10, 4, 21, 2]
    print("ok" if ok else f"wrong answer: {got!r}")
except Exception as e:
    print(f"check failed: {type(e).__name__}: {e}"[:120])
EOF
}

# --- TLS ---------------------------------------------------------------------------------

TLS_DIR="$RAW/tls"
# The server's certificate and key, as every TLS server of the run takes them.
TLS_ARGS=(--tls-cert "$TLS_DIR/server.pem" --tls-key "$TLS_DIR/server.key")

# make_certs: a throwaway CA and a server certificate it signs, for 127.0.0.1 and localhost
# (ECDSA P-256, as a typical modern site; valid for two days), in the temp dir. The clients
# trust the CA alone; nothing is added to the system's store.
make_certs() {
    [[ -s "$TLS_DIR/server.pem" ]] && return 0
    mkdir -p "$TLS_DIR"
    (
        cd "$TLS_DIR"
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.pem -days 2 -subj "/CN=netloom bench CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign"
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
        printf '%s\n' "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
            "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 2 -extfile server.ext -out server.pem
    ) >"$RAW/openssl.log" 2>&1 || { log "openssl failed: $(tail -n 3 "$RAW/openssl.log")"; exit 1; }
}

# --- wrk ---------------------------------------------------------------------------------

# Results, in run order: "server|scenario|req/s|p99 ms|note"
RESULTS=()

script_for() {
    case "$1" in
        hello | https-hello | static-*) echo "" ;;
        xmlrpc-add | https-xmlrpc-add) echo "$BENCH_DIR/xmlrpc_add.lua" ;;
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
    local script args=() conns="$CONNS" scheme=http
    [[ "$1" == https-* ]] && scheme=https
    script="$(script_for "$1")"
    [[ -n "$script" ]] && args+=(-s "$script")
    [[ "$1" == static-* ]] && conns="$STATIC_CONNS"
    timeout $(($3 + 30)) wrk -t"$WRK_THREADS" -c"$conns" -d"$3"s --timeout 5s --latency \
        "${args[@]}" "$scheme://$HOST:$2$(path_for "$1")" >"$4" 2>&1
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

netloom_server() { # netloom_server EXAMPLE RUNTIME SCENARIO [ARGS...]
    local bin="$EXAMPLES/$1" name="netloom-$2"
    if ((NETLOOM_BUILD_OK == 0)); then
        skip "$name" "$3" "not built (cargo build failed)"
    elif [[ ! -x "$bin" ]]; then
        skip "$name" "$3" "not built (target/release/examples/$1 missing)"
    else
        measure "$name" "$3" "$bin" --runtime "$2" --port PORT "${@:4}"
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

# --- TLS download and idle connections -----------------------------------------------------

# vm_kib PID FIELD: a field of /proc/PID/status (VmRSS, VmHWM) in KiB, or "-".
vm_kib() {
    awk -v f="$2:" '$1 == f {print $2; found = 1} END {if (!found) print "-"}' \
        "/proc/$1/status" 2>/dev/null || echo "-"
}

# Download results: "server|client|URL scheme|MB/s|client peak KiB|server peak KiB|note"
DL=()

# download_row RUNTIME SCHEME: the CLI's `http serve` (TLS with SCHEME https) serving one
# SIZE-byte sparse file, and bench_download's client (same runtime) saving it to tmpfs; the
# client's peak RSS from its own VmHWM (it is alone in its process), the server's from
# /proc/PID/status just before it is stopped.
download_row() {
    local rt="$1" scheme="$2" name="cli-$1" bin="$EXAMPLES/bench_download" port
    if ((NETLOOM_BUILD_OK == 0)) || [[ ! -x "$bin" || ! -x "$CLI" ]]; then
        DL+=("$name|bench_download-$rt|$scheme|-|-|-|not built")
        return
    fi
    local dir="$RAW/dl" args=()
    if [[ ! -e "$dir/blob.bin" ]]; then
        mkdir -p "$dir"
        truncate -s "$SIZE" "$dir/blob.bin"
    fi
    [[ "$scheme" == https ]] && args=("${TLS_ARGS[@]}")
    port="$(free_port)"
    log "-- $name / download ($scheme, $SIZE bytes) on $HOST:$port"
    if ! start_server "$port" "$CLI" --runtime "$rt" http serve "$dir" "${args[@]}" -p "$port"; then
        DL+=("$name|bench_download-$rt|$scheme|-|-|-|did not start: $START_ERROR")
        return
    fi
    local line rc=0 cargs=(--runtime "$rt" --size "$SIZE" --url "$scheme://$HOST:$port/blob.bin")
    [[ "$scheme" == https ]] && cargs+=(--cacert "$TLS_DIR/ca.pem")
    line="$(timeout "$DOWNLOAD_TIMEOUT" "$bin" "${cargs[@]}" 2>"$RAW/download.err" | tail -n 1)" || rc=$?
    local server_kib
    server_kib="$(vm_kib "$SERVER_PID" VmHWM)"
    stop_server
    if ((rc != 0)) || [[ "$line" != runtime* ]]; then
        DL+=("$name|bench_download-$rt|$scheme|-|-|$server_kib|failed (status $rc): $(tail -n 1 "$RAW/download.err" | cut -c1-80)")
        return
    fi
    log "   $line; server peak RSS $server_kib KiB"
    # "runtime mio: N bytes in S s = M MB/s; peak RSS K KiB (the client alone)"
    local mbs kib
    mbs="$(sed -n 's/.* = \([0-9]*\) MB\/s.*/\1/p' <<<"$line")"
    kib="$(sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' <<<"$line")"
    DL+=("$name|bench_download-$rt|$scheme|$mbs|$kib|$server_kib|")
}

print_downloads() {
    ((${#DL[@]})) || return 0
    echo
    echo "download: $SIZE bytes (a sparse file) from the CLI's \`netloom http serve DIR\` to" \
        "bench_download --url (retrieve into tmpfs), same runtime both ends; peak RSS is each process's VmHWM"
    printf '%-10s %-22s %-6s %8s %14s %14s  %s\n' server client scheme "MB/s" "client MiB" "server MiB" notes
    local r n c sch mbs ck sk note
    for r in "${DL[@]}"; do
        IFS='|' read -r n c sch mbs ck sk note <<<"$r"
        printf '%-10s %-22s %-6s %8s %14s %14s  %s\n' "$n" "$c" "$sch" "$mbs" \
            "$(mib "$ck")" "$(mib "$sk")" "$note"
    done
    [[ -n "$TLS_BULK" ]] && echo "$TLS_BULK"
    echo "goal (issue 14): https download >= 500 MB/s, peak RSS < 32 MiB (client and server)"
    for r in "${DL[@]}"; do
        IFS='|' read -r n c sch mbs ck sk _ <<<"$r"
        [[ "$sch" == https ]] || continue
        if [[ "$mbs" == "-" ]]; then
            printf '  %-10s https download not measured\n' "$n"
            continue
        fi
        awk -v n="$n" -v m="$mbs" -v c="$ck" -v s="$sk" 'BEGIN {
            printf "  %-10s https download %d MB/s: %s; client %.1f MiB: %s; server %.1f MiB: %s\n",
                n, m, (m >= 500 ? "met" : "NOT met"), c / 1024, (c < 32768 ? "met" : "NOT met"),
                s / 1024, (s != "-" && s < 32768 ? "met" : "NOT met") }'
    done
}

# tls_bulk: rustls' own cost for SIZE bytes (encrypt and decrypt in memory, no sockets), the
# ceiling TLS itself puts on a download; printed under the download table.
TLS_BULK=""
tls_bulk() {
    local tool="$ANCHOR_BIN/tls-bulk"
    [[ -x "$tool" ]] || return 0
    log "-- tls-bulk: rustls in memory, $SIZE bytes"
    TLS_BULK="$(timeout 120 "$tool" --cert "$TLS_DIR/server.pem" --key "$TLS_DIR/server.key" \
        --cacert "$TLS_DIR/ca.pem" --size "$SIZE" 2>&1 | tail -n 1)" || true
    log "   $TLS_BULK"
}

mib() { # mib KIB -> "12.3" or "-"
    if [[ "$1" =~ ^[0-9]+$ ]]; then awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; else echo "-"; fi
}

# Idle results: "server|connections|KiB per connection|before KiB|after KiB|note"
IDLE=()

# idle_row NAME WHAT CMD... (PORT in CMD replaced): starts the server, has tls-idle open
# IDLE_CONNS connections of kind WHAT (tls: handshake only; tls-get: handshake and one GET;
# plain-get: plaintext, one GET), reads the server's VmRSS before and after.
idle_row() {
    local name="$1" what="$2"; shift 2
    local tool="$ANCHOR_BIN/tls-idle" port cmd=() arg targs=()
    if [[ ! -x "$tool" ]]; then
        IDLE+=("$name|$what|-|-|-|not built (bench/target/release/tls-idle missing)")
        return
    fi
    if (($(ulimit -n) < IDLE_CONNS + 100)); then
        IDLE+=("$name|$what|-|-|-|skipped: ulimit -n is $(ulimit -n), below IDLE_CONNS + 100")
        return
    fi
    port="$(free_port)"
    for arg in "$@"; do cmd+=("${arg//PORT/$port}"); done
    log "-- $name / idle $what x $IDLE_CONNS on $HOST:$port"
    if ! start_server "$port" "${cmd[@]}"; then
        IDLE+=("$name|$what|-|-|-|did not start: $START_ERROR")
        return
    fi
    case "$what" in
        tls) targs=(--cacert "$TLS_DIR/ca.pem") ;;
        tls-get) targs=(--cacert "$TLS_DIR/ca.pem" --request /small.txt) ;;
        plain-get) targs=(--plain --request /small.txt) ;;
    esac
    # The server's own check connection (start_server's probe) is long closed: let its
    # memory settle before the first reading.
    sleep 1
    local line rc=0
    line="$(timeout $((IDLE_CONNS / 50 + 120)) "$tool" --port "$port" --pid "$SERVER_PID" \
        --conns "$IDLE_CONNS" --settle "$IDLE_SETTLE" --deadline $((IDLE_CONNS / 50 + 100)) \
        "${targs[@]}" 2>"$RAW/idle.err" | tail -n 1)" || rc=$?
    stop_server
    if [[ "$line" != idle:* ]]; then
        IDLE+=("$name|$what|-|-|-|failed (status $rc): $(tail -n 1 "$RAW/idle.err" | cut -c1-90)")
        return
    fi
    log "   $line"
    # "idle: N TLS connections (...): server VmRSS B KiB before, A KiB after: K KiB per
    # connection; O/N still open after; opened in T s"
    local per before after open note=""
    per="$(sed -n 's/.*: \([-0-9.]*\) KiB per connection.*/\1/p' <<<"$line")"
    before="$(sed -n 's/.*VmRSS \([0-9]*\) KiB before.*/\1/p' <<<"$line")"
    after="$(sed -n 's/.* \([0-9]*\) KiB after.*/\1/p' <<<"$line")"
    open="$(sed -n 's/.*; \([0-9]*\/[0-9]*\) still open.*/\1/p' <<<"$line")"
    note="$open still open; $(sed -n 's/.*; \(opened in .*\)/\1/p' <<<"$line")"
    ((rc == 0)) || note="$note; tool exited $rc"
    IDLE+=("$name|$what|$per|$before|$after|$note")
}

# tls_idle: the CLI's http serve on each of IDLE_RUNTIMES (limits raised so that none of the
# connections is closed while measured), and the hyper HTTPS anchor, which has no limits.
tls_idle() {
    local rt what limits=(--max-connections $((IDLE_CONNS + 1000)) --idle-timeout 900
        --request-timeout 900)
    for rt in $IDLE_RUNTIMES; do
        if ((NETLOOM_BUILD_OK == 0)) || [[ ! -x "$CLI" ]]; then
            IDLE+=("cli-$rt|tls|-|-|-|not built")
            continue
        fi
        for what in tls tls-get plain-get; do
            local args=()
            [[ "$what" == tls* ]] && args=("${TLS_ARGS[@]}")
            idle_row "cli-$rt" "$what" "$CLI" --runtime "$rt" http serve "$WWW" "${limits[@]}" \
                "${args[@]}" -p PORT
        done
    done
    if [[ -x "$ANCHOR_BIN/hyper-hello" ]]; then
        for what in tls tls-get plain-get; do
            local args=()
            [[ "$what" == tls* ]] && args=("${TLS_ARGS[@]}")
            idle_row hyper-hello "$what" "$ANCHOR_BIN/hyper-hello" --port PORT \
                --threads "$ANCHOR_THREADS" "${args[@]}"
        done
    fi
}

print_idle() {
    ((${#IDLE[@]})) || return 0
    echo
    echo "idle connections: $IDLE_CONNS held open at once by tls-idle; growth of the server's" \
        "VmRSS per connection (tls: handshake done, no request; tls-get and plain-get: after one" \
        "GET /small.txt, keep-alive)"
    printf '%-12s %-10s %10s %11s %11s  %s\n' server kind "KiB/conn" "before MiB" "after MiB" notes
    local r n w per b a note
    for r in "${IDLE[@]}"; do
        IFS='|' read -r n w per b a note <<<"$r"
        printf '%-12s %-10s %10s %11s %11s  %s\n' "$n" "$w" "$per" "$(mib "$b")" "$(mib "$a")" "$note"
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
            https-*) anchor_name="hyper-tls"; anchor_rps="$(lookup_rps hyper-https https-hello)" ;;
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
    # The static goals only when that scenario ran (a `tls` run has none).
    for f in $([[ " $SCENARIOS " == *" static "* ]] && echo static-14b static-64k); do
        nginx="$(lookup_rps nginx "$f")"
        goal "cli-mio" "$f" "$nginx" 1.0 "nginx"
        goal "cli-std" "$f" "$nginx" 0.8 "nginx"
        goal "cli-smol" "$f" "$nginx" 0.8 "nginx"
        p99_goal "$f"
    done
    print_tls
    print_fairness
    print_downloads
    print_idle
}

# print_tls: each HTTPS row beside the same server's plaintext row of the same run, and the
# goal of issue 14.
print_tls() {
    local r n s rps plain any=0
    for r in "${BEST[@]}"; do
        IFS='|' read -r n s rps _ _ <<<"$r"
        [[ "$s" == https-* ]] || continue
        if ((any == 0)); then
            echo
            echo "TLS against plaintext, same server, same run (hyper-https is hyper-hello with --tls-cert):"
            printf '%-16s %-17s %10s %10s %8s\n' server scenario "https" "plain" "ratio"
            any=1
        fi
        local pn="$n"
        [[ "$n" == hyper-https ]] && pn=hyper-hello
        plain="$(lookup_rps "$pn" "${s#https-}")"
        printf '%-16s %-17s %10s %10s %8s\n' "$n" "$s" "$rps" "${plain:--}" "$(ratio "$rps" "$plain")"
    done
    ((any)) || return 0
    local tls_hyper
    tls_hyper="$(lookup_rps hyper-https https-hello)"
    echo "goal (issue 14: HTTPS hello vs hyper + tokio-rustls):"
    goal "netloom-mio" https-hello "$tls_hyper" 1.0 "hyper https"
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
    if [[ " $SCENARIOS " == *" https-"* || " $SCENARIOS " == *" tls-idle "* ]]; then
        make_certs
    fi
    if [[ " $SCENARIOS " == *" tls-idle "* ]] && (($(ulimit -n) < IDLE_CONNS + 100)); then
        # Each held connection is a descriptor in the tool and one in the server.
        ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
        ulimit -n $((IDLE_CONNS + 1100)) 2>/dev/null || true
    fi
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
            https-hello)
                anchor_server hyper-https https-hello "$ANCHOR_BIN/hyper-hello" --port PORT \
                    "${anchor_rt[@]}" "${TLS_ARGS[@]}"
                for rt in $RUNTIMES; do netloom_server hello_http "$rt" https-hello "${TLS_ARGS[@]}"; done
                ;;
            https-xmlrpc-add)
                for rt in $RUNTIMES; do
                    netloom_server bench_xmlrpc "$rt" https-xmlrpc-add "${TLS_ARGS[@]}"
                done
                for rt in $RUNTIMES; do
                    cli_server "cli-$rt" https-xmlrpc-add --runtime "$rt" xmlrpc serve "${TLS_ARGS[@]}"
                done
                ;;
            https-download)
                # Once, not per round: a transfer, not a load test.
                if ((round == 1)); then
                    for rt in $RUNTIMES; do
                        download_row "$rt" http
                        download_row "$rt" https
                    done
                    tls_bulk
                fi
                ;;
            tls-idle)
                if ((round == 1)); then tls_idle; fi
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
    bench | tls) bench_mode ;;
    download) download_mode ;;
    -h | --help | help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0" ;;
    *) log "usage: $0 [bench|tls|download]"; exit 2 ;;
esac
