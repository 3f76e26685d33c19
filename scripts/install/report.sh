#!/usr/bin/env bash
# Peers and tools the report tests need: Debian's headless-capable Chromium (the HTML report
# is opened in it) and PLINK 1.9 (its --r2 is the reference for LD r² in clumping).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v plink1.9 >/dev/null 2>&1 || need+=(plink1.9)
if ((${#need[@]})); then
    apt-get update
    apt-get install -y --no-install-recommends "${need[@]}"
fi
chromium --version
plink1.9 --version | head -1
