#!/usr/bin/env bash
# Peers for the genome-scan tests: Debian's plink2 (2.00a3.5) and the bolt-lmm example data
# (EUR_subset, unpacked by the test from /usr/share/doc/bolt-lmm/examples/examples.tar.xz);
# the tests need nothing from PyPI (regenerating fixtures does: scipy==1.14.1, mpmath==1.3.0,
# statsmodels==0.14.4, see scripts/scan_fixtures.sh, scripts/regress_fixtures.py and
# scripts/stats_fixtures.py). Idempotent, non-interactive.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v plink2 >/dev/null || [ ! -e /usr/share/doc/bolt-lmm/examples/examples.tar.xz ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends plink2 bolt-lmm-example time
fi
