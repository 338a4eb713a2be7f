#!/usr/bin/env bash
# Long soak of the seeded random differential tester (compat-tests/random): runs many seeds against
# Apache ZooKeeper 3.8 (the oracle) and zkts, reports every diverging seed at the end.
#
#   SEEDS=200 scripts/soak-random.sh                 # seeds 1..200, both configurations
#   SEEDS=50 SEED_START=1000 OPS=3000 scripts/soak-random.sh
#   EXTENDED=1 SEEDS=20 scripts/soak-random.sh       # only extended types (TTL, live container sweeps)
#   EXCLUDE= SEEDS=20 scripts/soak-random.sh         # also the op families CI leaves out (known divergences)
#   MINIMIZE=1 SEEDS=20 scripts/soak-random.sh       # shrink each divergence to a minimal action list
#
# Environment:
#   SEEDS       number of seeds per configuration (default 100)
#   SEED_START  first seed (default: 1)
#   OPS         requests per seed (default 1000 plain, 600 extended)
#   EXTENDED    1: only the extended-types configuration; 0: only the plain one; unset: both
#   EXCLUDE     comma-separated op families to leave out (unset: the CI list in random.test.ts)
#   MINIMIZE    1: minimize every divergence (slow: a fresh server pair per trial)
#   OUT_DIR     where failing seeds' action lists go (default /tmp/zkts-random)
#
# Needs the oracle (scripts/install-oracle.sh) and a build (npx tsc -p .). Exit status 1 if any seed diverged.
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS="${SEEDS:-100}"
export RANDOM_SEEDS="$SEEDS"
export RANDOM_SEED_START="${SEED_START:-1}"
export RANDOM_KEEP_GOING=1
[ -n "${OPS:-}" ] && export RANDOM_OPS="$OPS"
[ -n "${EXTENDED:-}" ] && export RANDOM_EXTENDED="$EXTENDED"
[ -n "${EXCLUDE+x}" ] && export RANDOM_EXCLUDE="$EXCLUDE"
[ -n "${MINIMIZE:-}" ] && export RANDOM_MINIMIZE="$MINIMIZE"
export RANDOM_OUT_DIR="${OUT_DIR:-/tmp/zkts-random}"

if [ ! -f dist/cli.js ]; then
  echo "soak-random: building zkts (npx tsc -p .)" >&2
  npx tsc -p .
fi

echo "soak-random: ${SEEDS} seeds from ${RANDOM_SEED_START}, ops=${OPS:-default}, extended=${EXTENDED:-both}, exclude=${EXCLUDE-<CI default>}" >&2
# One seed's budget: generous, a soak seed may be long (OPS) or minimized.
export RANDOM_SEED_TIMEOUT_MS="${RANDOM_SEED_TIMEOUT_MS:-3600000}"
exec npx jest --config compat-tests/jest.config.js --runInBand --testTimeout=3600000 compat-tests/random/random.test.ts --testPathIgnorePatterns=/node_modules/
