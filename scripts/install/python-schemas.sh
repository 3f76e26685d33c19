#!/usr/bin/env bash
# Python's jsonschema: the reference validator our table schemas are checked against.
set -euo pipefail
python3 -c 'import jsonschema' 2>/dev/null && exit 0
python3 -m pip install -q --disable-pip-version-check 'jsonschema==4.26.0'
