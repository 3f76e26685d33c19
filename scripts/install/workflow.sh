#!/usr/bin/env bash
# Snakemake for the chunked-scan workflow (scripts/workflow/Snakefile) and its test: a virtual
# environment scripts/.venv (git-ignored) holding snakemake 9.27.1 from PyPI (Python >= 3.11);
# pip resolves its dependencies within snakemake's own bounds. Cluster executors are extra
# packages (see docs/workflow.md). Idempotent, non-interactive.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/scripts/.venv"
version=9.27.1
if [ -x "$venv/bin/snakemake" ] && [ "$("$venv/bin/snakemake" --version 2>/dev/null)" = "$version" ]; then
  echo "snakemake $version already in $venv"
  exit 0
fi
# Debian's system Python keeps venv and ensurepip in a separate package.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends python3-venv
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "snakemake==$version"
echo "snakemake $("$venv/bin/snakemake" --version) in $venv"
