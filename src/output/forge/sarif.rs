//! SARIF 2.1.0 (OASIS) for GitHub code scanning: one run of the tool `aiprov`, every finding
//! code a rule linking to its documentation, a result per finding. What GitHub requires beyond
//! the standard (its "SARIF support for code scanning" page) is there: a rule's
//! `shortDescription`, `fullDescription` and `help`, and a result's physical location and
//! `partialFingerprints`.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};

use super::{described, placed, severity_word, Document, Placed};
use crate::finding::Code;
use crate::model::ChangeReport;
use crate::output::report::Tally;
use crate::text::{path_bytes, printable};

/// The schema the document names: the OASIS standard's, with its errata.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The results of a verification; the rules are the same in every report.
#[derive(Default)]
pub(super) struct Sarif {
    results: Vec<SarifResult>,
}

impl Document for Sarif {
    fn add(&mut self, change: &ChangeReport) -> io::Result<()> {
        for p in placed(change) {
            self.results.push(result(change, &p));
        }
        Ok(())
    }

    fn write(&self, out: &mut dyn Write, _: &Tally) -> io::Result<()> {
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "aiprov",
                        version: env!("CARGO_PKG_VERSION"),
                        semantic_version: env!("CARGO_PKG_VERSION"),
                        information_uri: env!("CARGO_PKG_REPOSITORY"),
                        rules: Code::ALL.iter().map(|&c| rule(c)).collect(),
                    },
                },
                results: &self.results,
            }],
        };
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

// The document as structs, in SARIF's order (its examples', GitHub's), which JSON objects built
// with `json!` do not keep.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: &'a [SarifResult],
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Value,
    full_description: Value,
    help_uri: String,
    help: Value,
    default_configuration: Value,
    properties: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<Value>,
    partial_fingerprints: Value,
    properties: Value,
}

/// A finding code as a rule (GitHub shows its descriptions and help beside each alert).
fn rule(code: Code) -> Rule {
    let level = severity_word(code.default_severity());
    let uri = code.help_uri();
    Rule {
        id: code.as_str(),
        short_description: json!({"text": code.summary()}),
        full_description: json!({"text": code.summary()}),
        help: json!({
            "text": format!("{}. What it means and what to do: {uri}", code.summary()),
            "markdown": format!("{}. [What it means and what to do]({uri}).", code.summary()),
        }),
        help_uri: uri,
        default_configuration: json!({"level": level}),
        // GitHub orders and filters alerts by these; a finding is exact, not a guess.
        properties: json!({"precision": "very-high", "problem.severity": level}),
    }
}

fn result(change: &ChangeReport, p: &Placed<'_>) -> SarifResult {
    let code = p.finding.code;
    SarifResult {
        rule_id: code.as_str(),
        rule_index: Code::ALL
            .iter()
            .position(|&c| c == code)
            .expect("every code is in Code::ALL"),
        level: severity_word(p.finding.severity),
        message: json!({"text": described(change, p.finding)}),
        // A finding is about a file, not a line: it is shown on the file's first line. A change
        // without files gives its findings no location (GitHub then lists them on no file).
        locations: p.path.map(|path| {
            json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(path)},
                    "region": {"startLine": 1},
                },
            }])
        }),
        // GitHub keys an alert by this hash of the flagged line when there is one; supplying
        // ours keeps one alert per finding and change (the same line of two commits would be
        // one alert), and needs no checkout to compute.
        partial_fingerprints: json!({
            "primaryLocationLineHash": format!("{}:1", &p.fingerprint[..16]),
        }),
        properties: json!({
            (if change.label.is_some() { "patch" } else { "commit" }): change.id,
            "title": printable(&change.title),
        }),
    }
}

/// A path as a relative URI reference: its bytes (a C-quoted name undone) with every byte but
/// RFC 3986's unreserved characters and `/` percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for &b in path_bytes(path).iter() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::change;
    use super::*;
    use crate::finding::Finding;
    use crate::model::Verdict;

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(uri("hw/net/e1000.c"), "hw/net/e1000.c");
        assert_eq!(uri("docs/a b%,c#?.md"), "docs/a%20b%25%2Cc%23%3F.md");
        // A name git C-quotes is the path's own bytes.
        assert_eq!(uri("\"a\\377b\""), "a%FFb");
        assert_eq!(uri("é"), "%C3%A9");
    }

    #[test]
    fn a_result_names_the_rule_the_change_and_the_file() {
        let mut s = Sarif::default();
        let c = change(
            Verdict::Fail,
            vec![Finding::new(Code::TrailerForeign, "Assisted-by: x").in_file("hw/b c.c")],
        );
        s.add(&c).unwrap();
        let r = &serde_json::to_value(&s.results[0]).unwrap();
        assert_eq!(r["ruleId"], "trailer.foreign");
        assert_eq!(r["ruleIndex"], 12);
        assert_eq!(r["level"], "warning");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "hw/b%20c.c"
        );
        assert_eq!(r["properties"]["commit"], c.id.as_str());
        let hash = r["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert_eq!(hash.len(), 18, "{hash}");
    }

    #[test]
    fn a_change_without_files_gives_no_location() {
        let mut s = Sarif::default();
        let c = ChangeReport {
            first_file: None,
            ..change(
                Verdict::Fail,
                vec![Finding::new(Code::SignatureMissing, "none")],
            )
        };
        s.add(&c).unwrap();
        assert!(s.results[0].locations.is_none());
    }
}
