#!/usr/bin/env bash
# Stream-mode benchmarks for `logsentinel watch` (release build).
#
#   scripts/bench-watch.sh [LINES] [SECONDS]
#
# 1. Sustained ingest of one followed file (target >= 500k lines/s): a
#    corpus of LINES auth + access lines (default 2000000) is appended to a
#    followed file in large writes; the time until `watch` has processed
#    every line (its --stats counter) gives lines/s.
# 2. Append-to-alert latency (target p99 <= 50 ms at 10k lines/s): while
#    `simulate --rate 10000 --follow` appends background traffic, probe
#    lines (an SQL injection from a fresh source address each, so each
#    opens a new alert) are appended at known times for SECONDS (default
#    20); latency = alert printed - probe written.
# 3. Syslog over loopback TCP (target >= 100k messages/s without loss):
#    LINES/4 octet-counted RFC 5424 messages from one connection; every one
#    must be counted as a frame, none malformed.
#
# Everything runs on loopback and in a temporary directory; each step
# stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-2000000}
SECS=${2:-20}
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }

cargo build --release --locked -q
BIN=$PWD/target/release/logsentinel
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/logs"
export BIN WORK LINES SECS

echo "== 1. ingest of one followed file ($LINES lines)"
"$BIN" simulate --lines $((LINES / 2)) --seed 3 --kinds auth,apache --out "$WORK/corpus" 2>/dev/null
cat "$WORK/corpus/auth.log" "$WORK/corpus/access.log" > "$WORK/corpus/all.log"
: > "$WORK/logs/big.log"
"$BIN" watch --quiet --output ndjson --stats 0.2 --tz UTC "$WORK/logs/big.log" \
  > /dev/null 2> "$WORK/ingest.err" &
WATCH=$!
sleep 1
python3 - <<'EOF'
import os, re, time
work = os.environ["WORK"]; total = int(os.environ["LINES"])
src = open(f"{work}/corpus/all.log", "rb").read()
total = src.count(b"\n")
start = time.monotonic()
with open(f"{work}/logs/big.log", "ab") as f:
    f.write(src)
def processed():
    try:
        lines = open(f"{work}/ingest.err").read().splitlines()
    except FileNotFoundError:
        return 0
    for l in reversed(lines):
        m = re.search(r", (\d+) lines \(", l)
        if m:
            return int(m.group(1))
    return 0
while processed() < total and time.monotonic() - start < 120:
    time.sleep(0.05)
secs = time.monotonic() - start
n = processed()
print(f"   {n} of {total} lines in {secs:.2f}s: {n / secs:,.0f} lines/s (target >= 500,000)")
EOF
kill -TERM $WATCH; wait $WATCH || true

echo "== 2. append-to-alert latency at 10k lines/s for ${SECS}s"
"$BIN" simulate --rate 10000 --follow --duration $((SECS + 3)) --kinds apache,auth --out "$WORK/live" 2>/dev/null &
SIM=$!
sleep 0.5
"$BIN" watch --quiet --output ndjson --tz UTC "$WORK/live/access.log" "$WORK/live/auth.log" \
  > "$WORK/alerts.ndjson" 2>/dev/null &
WATCH=$!
sleep 1
python3 - <<'EOF'
import json, os, threading, time
work = os.environ["WORK"]; secs = float(os.environ["SECS"])
path = f"{work}/live/access.log"
sent = {}
lat = []
lock = threading.Lock()
stop = False
def reader():
    # Tails the alert output on its own thread, so the time an alert is
    # seen does not depend on the probe writer's pacing.
    out = open(f"{work}/alerts.ndjson")
    pending = ""
    while not stop:
        chunk = out.readline()
        if not chunk:
            time.sleep(0.0005)
            continue
        pending += chunk
        if not pending.endswith("\n"):
            continue
        line, pending = pending, ""
        seen = time.monotonic()
        try:
            a = json.loads(line)
        except ValueError:
            continue
        ip = a.get("source", {}).get("ip")
        if a.get("event", {}).get("type") == ["start"]:
            with lock:
                if ip in sent:
                    lat.append(seen - sent.pop(ip))
t = threading.Thread(target=reader, daemon=True)
t.start()
end = time.monotonic() + secs
i = 0
while time.monotonic() < end:
    i += 1
    ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    line = f'{ip} - - [{stamp}] "GET /item.php?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- HTTP/1.1" 200 512 "-" "curl/8.0"\n'
    with open(path, "a") as f:
        with lock:
            sent[ip] = time.monotonic()
        f.write(line)
    time.sleep(0.05)
time.sleep(1)
stop = True
t.join()
lat.sort()
if lat:
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    print(f"   {len(lat)} probes, {len(sent)} without alert: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]*1000:.1f} ms (target p99 <= 50 ms)")
else:
    print("   no probe alert seen")
EOF
kill -TERM $WATCH $SIM 2>/dev/null; wait $WATCH $SIM 2>/dev/null || true

echo "== 3. syslog over loopback TCP"
"$BIN" watch --output ndjson --tz UTC --listen tcp://127.0.0.1:0 --stats 0.2 \
  > /dev/null 2> "$WORK/syslog.err" &
WATCH=$!
python3 - <<'EOF'
import os, re, socket, time
work = os.environ["WORK"]; n = int(os.environ["LINES"]) // 4
addr = None
for _ in range(100):
    m = re.search(r"listening on tcp://([\d.]+):(\d+)", open(f"{work}/syslog.err").read())
    if m:
        addr = (m.group(1), int(m.group(2))); break
    time.sleep(0.05)
msg = lambda i: f"<38>1 2026-01-15T10:00:00Z web1 sshd {i} - - Accepted password for u{i % 100} from 192.0.2.{i % 250} port 22 ssh2".encode()
chunks = []
buf = bytearray()
for i in range(n):
    m = msg(i); buf += str(len(m)).encode() + b" " + m
    if len(buf) > 1 << 20:
        chunks.append(bytes(buf)); buf = bytearray()
chunks.append(bytes(buf))
s = socket.create_connection(addr)
start = time.monotonic()
for c in chunks:
    s.sendall(c)
s.close()
def frames():
    for l in reversed(open(f"{work}/syslog.err").read().splitlines()):
        m = re.search(r"syslog (\d+) frames, (\d+) malformed", l)
        if m:
            return int(m.group(1)), int(m.group(2))
    return 0, 0
while frames()[0] < n and time.monotonic() - start < 120:
    time.sleep(0.05)
secs = time.monotonic() - start
got, bad = frames()
print(f"   {got} of {n} messages ({bad} malformed) in {secs:.2f}s: {got / secs:,.0f} msg/s (target >= 100,000, none lost)")
EOF
kill -TERM $WATCH; wait $WATCH || true
