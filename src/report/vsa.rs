//! SLSA source verification summaries (`aiprov report --format vsa`): one in-toto Statement v1
//! per revision of the release, in range order, whose predicate
//! (`https://slsa.dev/verification_summary/v1`) says whether the revision verifies and what AI
//! use it holds, as `ORG_SOURCE_AIPROV_*` properties in `verifiedLevels`.
//!
//! The SLSA source track has a revision's VSA summarise the changes that made the revision, over
//! its history. So a revision's result and properties cover every change of the range that is
//! the revision or one of its ancestors, not only the change it makes itself: the release
//! commit's VSA speaks for the whole release, and a topic branch's commit for what it holds.
//! Each statement's inputs are the envelopes of its own change and the statements of its
//! parents in the range, so that a consumer can follow the chain back to the release base.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use thiserror::Error;

use super::origin::{Origin, Policy};
use crate::archive::line_digest;
use crate::model::{Release, ReleaseChange, Verdict, STATEMENT_TYPE};
use crate::trailers::Category;

/// `predicateType` of a verification summary.
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// The SLSA version whose source track these statements follow.
pub const SLSA_VERSION: &str = "1.2";
/// aiprov checks declarations of AI use, not the controls of the source control system, so it
/// claims only the level every revision has; the SCS's own VSA states the level it enforces.
pub const SOURCE_LEVEL: &str = "SLSA_SOURCE_LEVEL_0";
/// `verifiedLevels` of a revision that failed: nothing else is claimed of it.
pub const FAILED: &str = "FAILED";
/// The verifier, followed by `@` and aiprov's version in `verifier.id`.
pub const VERIFIER: &str = "https://aiprov.dev/verifier";

/// An AI-use property of a revision, over the changes since the release base in its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// Every change has a trusted AI-usage attestation (clean merges have no change of their own).
    Attested,
    /// Every change is attested and none declares AI use in any file.
    NoAiContent,
    /// Some change declares AI use for code.
    AiCode,
    /// Some change declares AI use for tests.
    AiTests,
    /// Some change declares AI use for documentation.
    AiDocs,
    /// Some change declares AI used for research, none of its output included.
    AiResearch,
    /// Some change's verdict relies on a maintainer's approval of its AI use.
    MaintainerApproved,
}

impl Property {
    pub const ALL: [Property; 7] = [
        Property::Attested,
        Property::NoAiContent,
        Property::AiCode,
        Property::AiTests,
        Property::AiDocs,
        Property::AiResearch,
        Property::MaintainerApproved,
    ];

    /// The name in `verifiedLevels`: the source track reserves `ORG_SOURCE_` for an
    /// organisation's properties meant for consumers.
    pub fn name(self) -> &'static str {
        match self {
            Property::Attested => "ORG_SOURCE_AIPROV_ATTESTED",
            Property::NoAiContent => "ORG_SOURCE_AIPROV_NO_AI_CONTENT",
            Property::AiCode => "ORG_SOURCE_AIPROV_AI_CODE",
            Property::AiTests => "ORG_SOURCE_AIPROV_AI_TESTS",
            Property::AiDocs => "ORG_SOURCE_AIPROV_AI_DOCS",
            Property::AiResearch => "ORG_SOURCE_AIPROV_AI_RESEARCH",
            Property::MaintainerApproved => "ORG_SOURCE_AIPROV_MAINTAINER_APPROVED",
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VsaError {
    #[error("the release summary does not record the parents of its changes")]
    NoParents,
    #[error("the release summary lists {commit} before its parent {parent}")]
    ParentAfter { commit: String, parent: String },
    #[error("no repository URL for the VSAs' resourceUri")]
    NoRepository,
    #[error("no trusted revision for the VSAs' policy")]
    NoPolicy,
}

/// What the changes of a revision's history hold. Each field says "some change does", so that
/// joining the histories of a merge's parents, which share changes, counts nothing twice.
#[derive(Debug, Clone, Copy, Default)]
struct History {
    failed: bool,
    unattested: bool,
    code: bool,
    tests: bool,
    docs: bool,
    research: bool,
    approved: bool,
}

impl History {
    fn of(change: &ReleaseChange) -> History {
        let declares = |c: Category| change.files.iter().any(|f| f.ai.contains(&c));
        History {
            failed: change.verdict == Verdict::Fail,
            // A clean merge has no change of its own to attest.
            unattested: !change.attested && change.verdict != Verdict::Skipped,
            code: declares(Category::Code),
            tests: declares(Category::Tests),
            docs: declares(Category::Docs),
            research: change.research,
            approved: !change.approvals.is_empty(),
        }
    }

    fn join(&mut self, other: &History) {
        self.failed |= other.failed;
        self.unattested |= other.unattested;
        self.code |= other.code;
        self.tests |= other.tests;
        self.docs |= other.docs;
        self.research |= other.research;
        self.approved |= other.approved;
    }

    fn holds(&self, property: Property) -> bool {
        match property {
            Property::Attested => !self.unattested,
            Property::NoAiContent => !(self.unattested || self.code || self.tests || self.docs),
            Property::AiCode => self.code,
            Property::AiTests => self.tests,
            Property::AiDocs => self.docs,
            Property::AiResearch => self.research,
            Property::MaintainerApproved => self.approved,
        }
    }

    /// `verifiedLevels`: the source level and the properties that hold, or `FAILED`.
    fn levels(&self) -> Vec<&'static str> {
        if self.failed {
            return vec![FAILED];
        }
        let properties = Property::ALL.into_iter().filter(|p| self.holds(*p));
        std::iter::once(SOURCE_LEVEL)
            .chain(properties.map(Property::name))
            .collect()
    }
}

/// An in-toto Statement v1 with a verification summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VsaStatement {
    #[serde(rename = "_type")]
    pub type_: &'static str,
    pub subject: Vec<Revision>,
    pub predicate_type: &'static str,
    pub predicate: Vsa,
}

/// The revision a statement is about.
#[derive(Debug, Serialize)]
pub struct Revision {
    /// `gitCommit`: the commit id.
    pub digest: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Full refs that point at the revision (the source track's `sourceRefs`).
    pub source_refs: Vec<String>,
}

/// The predicate, in the fields of SLSA's verification summary that in-toto's published
/// definition of it (`in_toto_attestation.predicates.vsa.v1`) has.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vsa {
    pub verifier: Verifier,
    pub time_verified: String,
    pub resource_uri: String,
    pub policy: Descriptor,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_attestations: Vec<Descriptor>,
    pub verification_result: &'static str,
    pub verified_levels: Vec<&'static str>,
    pub slsa_version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Verifier {
    pub id: String,
}

/// A resource by URI and digest (an in-toto ResourceDescriptor, as the VSA's fields take it).
#[derive(Debug, Clone, Serialize)]
pub struct Descriptor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<&'static str, String>,
}

fn sha256(digest: String) -> Descriptor {
    Descriptor {
        uri: None,
        digest: BTreeMap::from([("sha256", digest)]),
    }
}

/// The verification summaries of the release's revisions, each as its JSON line (without the
/// newline), in the order of `changes` (range order: every parent before its children).
pub fn statements(
    release: &Release,
    changes: &[ReleaseChange],
    origin: &Origin,
) -> Result<Vec<Vec<u8>>, VsaError> {
    let repository = origin.repository.as_ref().ok_or(VsaError::NoRepository)?;
    let policy = match origin.policy.as_ref().ok_or(VsaError::NoPolicy)? {
        Policy::Revision(rev) => Descriptor {
            uri: Some(format!("git+{repository}@{rev}")),
            digest: BTreeMap::from([("gitCommit", rev.clone())]),
        },
        Policy::Directory(dir) => Descriptor {
            uri: Some(format!("file://{}", dir.display())),
            digest: BTreeMap::new(),
        },
    };
    let in_range: HashSet<&str> = changes.iter().map(|c| c.commit.as_str()).collect();
    // Each revision's history and the digest of its statement, for its children.
    let mut done: HashMap<&str, (History, String)> = HashMap::new();
    let mut lines = Vec::with_capacity(changes.len());
    for change in changes {
        let parents = change.parents.as_ref().ok_or(VsaError::NoParents)?;
        let mut history = History::of(change);
        let mut inputs: Vec<Descriptor> = change.envelopes.iter().cloned().map(sha256).collect();
        for parent in parents.iter().filter(|p| in_range.contains(p.as_str())) {
            let Some((theirs, digest)) = done.get(parent.as_str()) else {
                return Err(VsaError::ParentAfter {
                    commit: change.commit.clone(),
                    parent: parent.clone(),
                });
            };
            history.join(theirs);
            inputs.push(sha256(digest.clone()));
        }
        let annotations = (change.commit == release.commit && !origin.release_refs.is_empty())
            .then(|| Annotations {
                source_refs: origin.release_refs.clone(),
            });
        let statement = VsaStatement {
            type_: STATEMENT_TYPE,
            subject: vec![Revision {
                digest: BTreeMap::from([("gitCommit", change.commit.clone())]),
                annotations,
            }],
            predicate_type: VSA_PREDICATE_TYPE,
            predicate: Vsa {
                verifier: Verifier {
                    id: format!("{VERIFIER}@{}", env!("CARGO_PKG_VERSION")),
                },
                time_verified: origin.time_verified.clone(),
                resource_uri: format!("git+{repository}"),
                policy: policy.clone(),
                input_attestations: inputs,
                verification_result: if history.failed { "FAILED" } else { "PASSED" },
                verified_levels: history.levels(),
                slsa_version: SLSA_VERSION,
            },
        };
        let line = serde_json::to_vec(&statement).expect("a statement serialises");
        done.insert(&change.commit, (history, line_digest(&line)));
        lines.push(line);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReleaseFile;
    use crate::trailers::Identity;

    fn change(commit: &str, parents: &[&str], verdict: Verdict, ai: &[Category]) -> ReleaseChange {
        ReleaseChange {
            commit: commit.repeat(40),
            title: "t".into(),
            author: Identity {
                name: "A".into(),
                email: "a@example.org".into(),
            },
            date: "2026-10-01T00:00:00Z".into(),
            verdict,
            findings: BTreeMap::new(),
            envelopes: vec![commit.repeat(64)],
            research: false,
            attested: verdict != Verdict::Skipped,
            approvals: Vec::new(),
            parents: Some(parents.iter().map(|p| p.repeat(40)).collect()),
            tools: Some(Vec::new()),
            models: Some(Vec::new()),
            files: vec![ReleaseFile {
                path: "f".into(),
                added: 1,
                removed: 0,
                ai: ai.iter().copied().collect(),
                section: None,
            }],
        }
    }

    fn origin() -> Origin {
        Origin {
            repository: Some("https://example.org/p.git".into()),
            policy: Some(Policy::Revision("0".repeat(40))),
            release_refs: vec!["refs/tags/v1".into()],
            time_verified: "2026-11-01T00:00:00Z".into(),
        }
    }

    fn levels(line: &[u8]) -> (String, Vec<String>, Vec<String>) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let p = &v["predicate"];
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        };
        let inputs = p["inputAttestations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                i["digest"]["sha256"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        (
            p["verificationResult"].as_str().unwrap_or_default().into(),
            strings(&p["verifiedLevels"]),
            inputs,
        )
    }

    /// base ─ a (AI code) ─ b (fails) ─────── m (clean merge of b and c)
    ///         └─ c (AI docs) ───────────────┘
    #[test]
    fn a_revision_summarises_the_changes_of_its_history_only() {
        let changes = [
            change("a", &["0"], Verdict::Pass, &[Category::Code]),
            change("b", &["a"], Verdict::Fail, &[]),
            change("c", &["a"], Verdict::Pass, &[Category::Docs]),
            change("m", &["b", "c"], Verdict::Skipped, &[]),
        ];
        let release = Release {
            range: "v0..v1".into(),
            commit: "m".repeat(40),
            base: Some("0".repeat(40)),
        };
        let lines = statements(&release, &changes, &origin()).unwrap();
        let [a, b, c, m] = &lines[..] else {
            panic!("{} lines", lines.len())
        };
        let (result, levels_a, inputs_a) = levels(a);
        assert_eq!(result, "PASSED");
        assert_eq!(
            levels_a,
            [
                SOURCE_LEVEL,
                "ORG_SOURCE_AIPROV_ATTESTED",
                "ORG_SOURCE_AIPROV_AI_CODE"
            ]
        );
        // Its own envelope; the base is outside the range.
        assert_eq!(inputs_a, ["a".repeat(64)]);
        assert_eq!(levels(b).1, [FAILED]);
        // c's history is a and c, not the failed b.
        assert_eq!(
            levels(c),
            (
                "PASSED".into(),
                vec![
                    SOURCE_LEVEL.to_string(),
                    "ORG_SOURCE_AIPROV_ATTESTED".into(),
                    "ORG_SOURCE_AIPROV_AI_CODE".into(),
                    "ORG_SOURCE_AIPROV_AI_DOCS".into()
                ],
                vec!["c".repeat(64), line_digest(a)]
            )
        );
        // The merge holds b: it fails; its inputs are its envelope and its parents' statements.
        let (result, _, inputs) = levels(m);
        assert_eq!(result, "FAILED");
        assert_eq!(inputs, ["m".repeat(64), line_digest(b), line_digest(c)]);
        let v: serde_json::Value = serde_json::from_slice(m).unwrap();
        assert_eq!(
            v["subject"][0]["annotations"]["sourceRefs"],
            serde_json::json!(["refs/tags/v1"])
        );
        assert!(
            serde_json::from_slice::<serde_json::Value>(a).unwrap()["subject"][0]
                .get("annotations")
                .is_none()
        );
    }

    #[test]
    fn a_summary_without_parents_or_out_of_order_is_refused() {
        let release = Release {
            range: "v0..v1".into(),
            commit: "b".repeat(40),
            base: None,
        };
        let old = ReleaseChange {
            parents: None,
            ..change("a", &["0"], Verdict::Pass, &[])
        };
        assert_eq!(
            statements(&release, &[old], &origin()),
            Err(VsaError::NoParents)
        );
        let reversed = [
            change("b", &["a"], Verdict::Pass, &[]),
            change("a", &["0"], Verdict::Pass, &[]),
        ];
        assert_eq!(
            statements(&release, &reversed, &origin()),
            Err(VsaError::ParentAfter {
                commit: "b".repeat(40),
                parent: "a".repeat(40)
            })
        );
        let nowhere = Origin {
            repository: None,
            ..origin()
        };
        assert_eq!(
            statements(&release, &[], &nowhere),
            Err(VsaError::NoRepository)
        );
    }
}
