#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with the Rust toolchain:
# installs what the tests need, then format check, clippy (warnings are
# errors) and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# System packages the tests use: the time zone database (--tz tests), a
# real SMTP server (python3-aiosmtpd, which the notification tests start on
# loopback ports) and openssl (certificates for its STARTTLS / TLS modes).
need=()
[ -d /usr/share/zoneinfo/Europe ] || need+=(tzdata)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need+=(python3-aiosmtpd)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo test"
# The SMTP tests fail (instead of skipping) when aiosmtpd is missing.
export LOGSENTINEL_REQUIRE_AIOSMTPD=1
cargo test --workspace --locked

log "all checks passed"
