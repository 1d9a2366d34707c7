#!/usr/bin/env bash
# Parsing and detection benchmarks on generated corpora.
#
#   scripts/bench.sh [LINES]        # default 1000000 lines per log kind
#
# Generates apache_combined and auth syslog corpora with `simulate`, then
# times with hyperfine (median of several runs):
#   parse --output ndjson > /dev/null     (target >= 500k lines/s)
#   parse --stats                          (target >= 2M lines/s)
#   analyze (every built-in rule)          (target >= 1M lines/s)
# with goaccess (access log) and fail2ban-regex with its sshd filter (auth
# log) on the same files as references. Peak RSS is measured with
# /usr/bin/time at N and 4N lines to show it does not grow with input.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
OUT=bench-out
mkdir -p "$OUT"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v goaccess >/dev/null || need+=(goaccess)
command -v fail2ban-regex >/dev/null || need+=(fail2ban)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

cargo build --release --locked -q
BIN=target/release/logsentinel

if [ ! -s "$OUT/corpus-$LINES/access.log" ]; then
  "$BIN" simulate --lines "$LINES" --seed 7 --kinds apache,auth --out "$OUT/corpus-$LINES"
fi
BIG=$((LINES * 4))
if [ ! -s "$OUT/corpus-$BIG/access.log" ]; then
  "$BIN" simulate --lines "$BIG" --seed 7 --kinds apache,auth --out "$OUT/corpus-$BIG"
fi
ACCESS="$OUT/corpus-$LINES/access.log"
AUTH="$OUT/corpus-$LINES/auth.log"

hyperfine --warmup 1 --runs 7 -N --export-json "$OUT/parse.json" \
  -n "ndjson apache_combined" "$BIN parse --tz UTC --output ndjson --quiet $ACCESS --threads 2" \
  -n "ndjson syslog auth"     "$BIN parse --tz UTC --output ndjson --quiet $AUTH --threads 2" \
  -n "stats apache_combined"  "$BIN parse --tz UTC --stats $ACCESS" \
  -n "stats syslog auth"      "$BIN parse --tz UTC --stats $AUTH" \
  -n "analyze apache_combined" "$BIN analyze --tz UTC --quiet -o ndjson $ACCESS" \
  -n "analyze syslog auth"     "$BIN analyze --tz UTC --quiet -o ndjson $AUTH" \
  -n "goaccess (reference)"   "goaccess $ACCESS --log-format=COMBINED --no-global-config -o $OUT/goaccess.json" \
  --output=null

# fail2ban-regex is slow: fewer runs, on the same auth log.
hyperfine --warmup 0 --runs 3 -N --export-json "$OUT/fail2ban.json" \
  -n "fail2ban-regex sshd (reference)" "fail2ban-regex $AUTH /etc/fail2ban/filter.d/sshd.conf" \
  --output=null

python3 - "$LINES" "$OUT/parse.json" "$OUT/fail2ban.json" <<'PY'
import json, sys
lines = int(sys.argv[1])
# The issues' targets, lines per second.
targets = {"ndjson": 500_000, "stats": 2_000_000, "analyze": 1_000_000}
print(f"\n{'command':34} {'median s':>9} {'lines/s':>12} {'target':>12}")
for path in sys.argv[2:]:
    for r in json.load(open(path))["results"]:
        med = r["median"]
        rate = lines / med
        goal = targets.get(r["command"].split()[0])
        verdict = "" if goal is None else f"{goal:12,} {'met' if rate >= goal else 'MISSED'}"
        print(f"{r['command']:34} {med:9.3f} {rate:12,.0f} {verdict}")
PY

echo
echo "Peak RSS (kB), $LINES vs $BIG lines:"
for n in "$LINES" "$BIG"; do
  for f in access auth; do
    rss=$(/usr/bin/time -f '%M' "$BIN" parse --tz UTC --output ndjson --quiet "$OUT/corpus-$n/$f.log" 2>&1 >/dev/null | tail -n1)
    echo "  parse   $f.log  $n lines: $rss"
    rss=$(/usr/bin/time -f '%M' "$BIN" analyze --tz UTC --quiet -o ndjson "$OUT/corpus-$n/$f.log" 2>&1 >/dev/null | tail -n1)
    echo "  analyze $f.log  $n lines: $rss"
  done
done
