#!/usr/bin/env bash
# System packages the test suite needs beyond Python, installed by `make test` when missing:
#   - a JRE (Debian openjdk-17-jre-headless) for the Spark tests;
#   - headless Chromium + ChromeDriver (Debian chromium, chromium-driver) for the report rendering test;
#   - Azurite (npm azurite@3.37.0, Microsoft's Azure Storage emulator) for the Azure Blob tests.
# The first line printed says what will be installed, before anything is.  When they cannot be
# installed (not root, no apt-get, offline) the tests that need them skip with a clear reason.
# Set FLOWGRAPH_NO_SYSTEM_INSTALL=1 to never install anything.
set -u
if ! command -v azurite-blob >/dev/null 2>&1; then
  if [ -z "${FLOWGRAPH_NO_SYSTEM_INSTALL:-}" ] && command -v npm >/dev/null 2>&1; then
    echo "setup_system: make test installs with npm: azurite@3.37.0 (set FLOWGRAPH_NO_SYSTEM_INSTALL=1 to skip)" >&2
    npm install -g --silent azurite@3.37.0 >/dev/null 2>&1 \
      || echo "setup_system: npm install -g azurite@3.37.0 failed; the Azure Blob tests will skip" >&2
  else
    echo "setup_system: not installing azurite (no npm or FLOWGRAPH_NO_SYSTEM_INSTALL set); the Azure Blob tests will skip" >&2
  fi
fi
apt_need=()
command -v java >/dev/null 2>&1 || apt_need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || apt_need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_need+=(chromium-driver)
if [ ${#apt_need[@]} -eq 0 ]; then
  echo "setup_system: nothing to install (java, chromium and chromedriver are present)" >&2
  exit 0
fi
if [ -n "${FLOWGRAPH_NO_SYSTEM_INSTALL:-}" ] || [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup_system: not installing ${apt_need[*]} (FLOWGRAPH_NO_SYSTEM_INSTALL set, not root or no apt-get); the tests that need them will skip" >&2
  exit 0
fi
echo "setup_system: make test installs with apt-get as root: ${apt_need[*]} (set FLOWGRAPH_NO_SYSTEM_INSTALL=1 to skip)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${apt_need[@]}" >/dev/null 2>&1 \
  || echo "setup_system: apt-get install ${apt_need[*]} failed; dependent tests will skip" >&2
exit 0
