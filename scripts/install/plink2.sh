#!/usr/bin/env bash
# PLINK 2 (Debian's 2.00a3.5): the peer that tests compare genotype IO and scans against.
set -euo pipefail
if command -v plink2 >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq plink2 >/dev/null
plink2 --version
