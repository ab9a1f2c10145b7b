"""Validates aiprov's BOMs with the formats' own Python tools (tests/cli/report_export.rs).

    export_validate.py cyclonedx FILE   CycloneDX 1.6 JSON, cyclonedx-python-lib's strict validator
                                        (the published 1.6 schema, no unknown properties)
    export_validate.py spdx FILE        SPDX 2.3 JSON, parsed and validated by spdx-tools, and
                                        written back by it: every field aiprov wrote must survive

Prints "valid" and exits 0, or prints what is wrong and exits 1.
"""

import json
import sys
import tempfile


def cyclonedx(path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    with open(path, encoding="utf-8") as f:
        text = f.read()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    return [str(e) for e in errors or []]


def keys(value, prefix=""):
    """The paths of every key in a JSON value, list positions left out."""
    if isinstance(value, dict):
        out = set()
        for k, v in value.items():
            out.add(prefix + "/" + k)
            out |= keys(v, prefix + "/" + k)
        return out
    if isinstance(value, list):
        out = set()
        for v in value:
            out |= keys(v, prefix)
        return out
    return set()


def spdx(path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    from spdx_tools.spdx.writer.write_anything import write_file

    document = parse_file(path)
    errors = [m.validation_message for m in validate_full_spdx_document(document)]
    # spdx-tools' parser skips fields it does not know: what it writes back must hold them all.
    with tempfile.NamedTemporaryFile(suffix=".spdx.json") as out:
        write_file(document, out.name, validate=False)
        with open(out.name, encoding="utf-8") as f:
            written = keys(json.load(f))
    with open(path, encoding="utf-8") as f:
        ours = keys(json.load(f))
    errors += ["spdx-tools does not know " + k for k in sorted(ours - written)]
    return errors


def main():
    kind, path = sys.argv[1], sys.argv[2]
    errors = {"cyclonedx": cyclonedx, "spdx": spdx}[kind](path)
    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print("valid")


if __name__ == "__main__":
    main()
