#!/usr/bin/env python3
"""Reference verdicts for the schema tests: validate JSON documents (one per line) against a
JSON Schema (draft 2020-12) with Python's jsonschema and print one line per document:
"ok" or "error". Usage: validate_rows.py SCHEMA.json ROWS.jsonl"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
for line in open(sys.argv[2]):
    doc = json.loads(line)
    print("ok" if validator.is_valid(doc) else "error")
