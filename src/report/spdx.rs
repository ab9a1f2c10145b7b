//! An SPDX 2.3 document of the AI tools and models a release's changes used
//! (`aiprov report --format spdx`): the release is the package the document describes; each
//! tool and model is a package that is `DEV_TOOL_OF` it, its comment naming the changes whose
//! attestations name it. SPDX 2.3 has no kind of package for a model (SPDX 3's AI profile
//! does), so a model's purpose is `OTHER` and its comment says it is a model. Deterministic:
//! the namespace names the release commit, the creation time is the release commit's date.

use serde::Serialize;

use super::ai_tools::{release_date, used, Kind, NotRecorded, Used};
use super::origin::{release_names, Origin};
use crate::model::{Release, ReleaseChange};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub spdx_version: &'static str,
    pub data_license: &'static str,
    #[serde(rename = "SPDXID")]
    pub spdx_id: &'static str,
    pub name: String,
    pub document_namespace: String,
    pub creation_info: CreationInfo,
    pub packages: Vec<Package>,
    pub relationships: Vec<Relationship>,
}

#[derive(Debug, Serialize)]
pub struct CreationInfo {
    pub created: String,
    pub creators: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    pub download_location: String,
    pub files_analyzed: bool,
    pub primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    pub spdx_element_id: String,
    pub relationship_type: &'static str,
    pub related_spdx_element: String,
}

const RELEASE_ID: &str = "SPDXRef-Release";
const NOASSERTION: &str = "NOASSERTION";

/// The SPDX document of a release's AI tools and models.
pub fn document(
    release: &Release,
    changes: &[ReleaseChange],
    origin: &Origin,
) -> Result<Document, NotRecorded> {
    let (version, name) = release_names(release, origin);
    let subject = Package {
        spdx_id: RELEASE_ID.into(),
        name: name.clone(),
        version_info: Some(version.clone()),
        // SPDX's VCS form: `git+URL@COMMIT`.
        download_location: origin
            .repository
            .as_ref()
            .map_or(NOASSERTION.into(), |url| {
                format!("git+{url}@{}", release.commit)
            }),
        files_analyzed: false,
        primary_package_purpose: "SOURCE",
        comment: Some(format!(
            "The release {} (commit {}); its AI tools and models are the packages that are DEV_TOOL_OF it.",
            release.range, release.commit
        )),
    };
    let mut packages = vec![subject];
    let mut relationships = vec![Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: RELEASE_ID.into(),
    }];
    for (i, used) in used(changes)?.iter().enumerate() {
        let package = package(i + 1, used);
        relationships.push(Relationship {
            spdx_element_id: package.spdx_id.clone(),
            relationship_type: "DEV_TOOL_OF",
            related_spdx_element: RELEASE_ID.into(),
        });
        packages.push(package);
    }
    Ok(Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: format!("{name} {version}: AI tools and models"),
        document_namespace: format!("https://aiprov.dev/spdx/{}", release.commit),
        creation_info: CreationInfo {
            created: release_date(release, changes, &origin.time_verified),
            creators: vec![format!("Tool: aiprov-{}", env!("CARGO_PKG_VERSION"))],
        },
        packages,
        relationships,
    })
}

/// The `n`th tool or model as a package.
fn package(n: usize, used: &Used) -> Package {
    let (id, purpose, what) = match used.kind {
        Kind::Tool => ("Tool", "APPLICATION", "An AI tool"),
        Kind::Model => ("Model", "OTHER", "An AI model"),
    };
    let commits: Vec<&str> = used.changes.iter().map(|c| c.commit.as_str()).collect();
    Package {
        spdx_id: format!("SPDXRef-{id}-{n}"),
        name: used.name.clone(),
        version_info: used.version.clone(),
        download_location: NOASSERTION.into(),
        files_analyzed: false,
        primary_package_purpose: purpose,
        comment: Some(format!(
            "{what} named by the AI-usage attestations of these commits: {}",
            commits.join(" ")
        )),
    }
}
