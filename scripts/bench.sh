#!/usr/bin/env bash
# Parsing benchmark on generated corpora (issue: foundation performance).
#
#   scripts/bench.sh [LINES]        # default 1000000 lines per log kind
#
# Generates apache_combined and auth syslog corpora with `simulate`, then
# times with hyperfine (median of several runs):
#   parse --output ndjson > /dev/null     (target >= 500k lines/s)
#   parse --stats                          (target >= 2M lines/s)
# and goaccess on the same access log as a reference. Peak RSS is measured
# with /usr/bin/time at N and 4N lines to show it does not grow with input.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
OUT=bench-out
mkdir -p "$OUT"

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v goaccess >/dev/null || need+=(goaccess)
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
  -n "goaccess (reference)"   "goaccess $ACCESS --log-format=COMBINED --no-global-config -o $OUT/goaccess.json" \
  --output=null

python3 - "$OUT/parse.json" "$LINES" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])); lines = int(sys.argv[2])
print(f"\n{'command':28} {'median s':>9} {'lines/s':>12}")
for r in data["results"]:
    med = r["median"]
    print(f"{r['command']:28} {med:9.3f} {lines/med:12,.0f}")
PY

echo
echo "Peak RSS (kB), parse --output ndjson, $LINES vs $BIG lines:"
for n in "$LINES" "$BIG"; do
  for f in access auth; do
    rss=$(/usr/bin/time -f '%M' "$BIN" parse --tz UTC --output ndjson --quiet "$OUT/corpus-$n/$f.log" 2>&1 >/dev/null | tail -n1)
    echo "  $f.log  $n lines: $rss"
  done
done
