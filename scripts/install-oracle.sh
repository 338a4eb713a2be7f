#!/usr/bin/env bash
# Install the Apache ZooKeeper 3.8 "oracle" (reference server + clients) from Debian.
# Idempotent: does nothing if every package is already installed.
set -euo pipefail

PKGS=(zookeeper zookeeper-bin python3-kazoo libcurator-recipes-java libcurator-discovery-java python3-yaml strace)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-oracle: all packages present (${PKGS[*]})"
  exit 0
fi

echo "install-oracle: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-oracle: must run as root (or have sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y "${PKGS[@]}"

# Verify.
for p in "${PKGS[@]}"; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    echo "install-oracle: $p still not installed" >&2
    exit 1
  fi
done
echo "install-oracle: done"
