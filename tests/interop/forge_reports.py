"""Validates aiprov's reports for forges with third-party validators (tests/cli/forge_formats.rs).

    forge_reports.py sarif SCHEMA FILE        SARIF 2.1.0: the published JSON schema (jsonschema),
                                              the 2023 errata's region rule, and what GitHub code
                                              scanning requires beyond the standard
    forge_reports.py junit XSD FILE           JUnit XML against Jenkins' junit-10.xsd (xmlschema)
    forge_reports.py codequality SCHEMA FILE  GitLab Code Quality: schema/codequality.schema.json
                                              (jsonschema), unique fingerprints, no byte order mark

Prints "valid" and exits 0, or prints each error and exits 1.
"""

import json
import sys

import jsonschema
import xmlschema


def schema_errors(schema, doc):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(doc)
    ]


def github_errors(doc):
    """What GitHub's "SARIF support for code scanning" marks required, beyond the schema."""
    errors = []
    if not doc.get("$schema"):
        errors.append("no $schema")
    for run in doc.get("runs", []):
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            errors.append("tool.driver.name is empty")
        for rule in driver.get("rules", []):
            for prop in ("shortDescription", "fullDescription", "help"):
                if not rule.get(prop, {}).get("text"):
                    errors.append(f"rule {rule.get('id')}: no {prop}.text")
        ids = [rule["id"] for rule in driver.get("rules", [])]
        if "results" not in run:
            errors.append("a run without results")
        for i, result in enumerate(run.get("results", [])):
            where = f"result {i} ({result.get('ruleId')})"
            if result.get("ruleId") not in ids:
                errors.append(f"{where}: ruleId is no rule's id")
            elif ids.index(result["ruleId"]) != result.get("ruleIndex"):
                errors.append(f"{where}: ruleIndex is not its rule's")
            if not result.get("message", {}).get("text"):
                errors.append(f"{where}: no message.text")
            if not result.get("partialFingerprints", {}).get("primaryLocationLineHash"):
                errors.append(f"{where}: no partialFingerprints.primaryLocationLineHash")
            locations = result.get("locations", [])
            if not locations:
                errors.append(f"{where}: no location (code scanning shows none)")
            for loc in locations:
                physical = loc.get("physicalLocation", {})
                if not physical.get("artifactLocation", {}).get("uri"):
                    errors.append(f"{where}: no artifactLocation.uri")
                region = physical.get("region")
                # Errata 01 of SARIF 2.1.0: a region has startLine, charOffset or byteOffset.
                if region is not None and not {"startLine", "charOffset", "byteOffset"} & set(region):
                    errors.append(f"{where}: a region without startLine, charOffset or byteOffset")
    return errors


def sarif(schema_path, path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return schema_errors(schema, doc) + github_errors(doc)


def junit(xsd_path, path):
    schema = xmlschema.XMLSchema(xsd_path)
    return [str(e) for e in schema.iter_errors(path)]


def codequality(schema_path, path):
    with open(path, "rb") as f:
        raw = f.read()
    errors = []
    # GitLab's parser does not allow a byte order mark.
    if raw.startswith(b"\xef\xbb\xbf"):
        errors.append("a byte order mark")
    doc = json.loads(raw.decode("utf-8-sig"))
    with open(schema_path, encoding="utf-8") as f:
        errors += schema_errors(json.load(f), doc)
    fingerprints = [issue.get("fingerprint") for issue in doc if isinstance(issue, dict)]
    if len(set(fingerprints)) != len(fingerprints):
        errors.append("fingerprints are not unique")
    return errors


def main(argv):
    kind, *args = argv
    errors = {"sarif": sarif, "junit": junit, "codequality": codequality}[kind](*args)
    for e in errors:
        print(e)
    if errors:
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
