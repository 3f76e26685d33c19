#!/usr/bin/env bash
# Regenerates crates/report/assets/fonts/DejaVuSans-subset.ttf, the font PNG plots are drawn
# with: DejaVu Sans from Debian's fonts-dejavu-core, cut with fontTools' pyftsubset to Basic
# Latin, Latin-1, Greek, super/subscripts, dashes/quotes and a few maths signs, without
# hinting (plots rasterise with anti-aliasing). The family keeps its name (the licence only
# forbids "Bitstream"/"Vera" in the names of modified fonts).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
    apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core
fi
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q fonttools==4.60.1
"$venv/bin/pyftsubset" /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
    --unicodes="U+0020-007E,U+00A0-00FF,U+0391-03C9,U+2010-2027,U+2070-209F,U+2212,U+2248,U+2264-2265" \
    --no-hinting --layout-features='kern' --name-IDs='*' \
    --output-file=crates/report/assets/fonts/DejaVuSans-subset.ttf
ls -l crates/report/assets/fonts/DejaVuSans-subset.ttf
