#!/usr/bin/env bash
# System packages the test suite needs beyond Python: a JRE for the Spark tests and
# headless Chromium + ChromeDriver for the report rendering test.  Installed from
# Debian packages when missing; when they cannot be installed the tests that need
# them skip with a clear reason (they never fail silently).
set -u
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup_system: cannot install ${need[*]} (not root or no apt-get); dependent tests will skip" >&2
  exit 0
fi
echo "setup_system: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "setup_system: apt-get install ${need[*]} failed; dependent tests will skip" >&2
exit 0
