//! A CycloneDX 1.6 BOM of the AI tools and models a release's changes used
//! (`aiprov report --format cyclonedx`). The release is the BOM's subject (`metadata.component`);
//! tools are `application` components and models `machine-learning-model` components, both of
//! scope `excluded`: they made the release and are not part of it. Each names the changes and
//! files it was used for as `aiprov:` properties. The document is the same for the same release:
//! no serial number (it is optional), dated by the release commit.

use serde::Serialize;

use super::ai_tools::{release_date, used, Kind, NotRecorded, Used};
use super::origin::{release_names, Origin};
use crate::model::{Release, ReleaseChange};

/// The CycloneDX version written.
pub const SPEC_VERSION: &str = "1.6";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    pub bom_format: &'static str,
    pub spec_version: &'static str,
    pub version: u32,
    pub metadata: Metadata,
    pub components: Vec<Component>,
}

#[derive(Debug, Serialize)]
pub struct Metadata {
    pub timestamp: String,
    pub lifecycles: Vec<Lifecycle>,
    pub tools: Tools,
    pub component: Component,
}

/// `pre-build`: what the BOM says comes from the sources, before any build.
#[derive(Debug, Serialize)]
pub struct Lifecycle {
    pub phase: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Tools {
    pub components: Vec<Component>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    #[serde(rename = "type")]
    pub type_: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

#[derive(Debug, Serialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct Property {
    pub name: &'static str,
    pub value: String,
}

fn property(name: &'static str, value: impl Into<String>) -> Property {
    Property {
        name,
        value: value.into(),
    }
}

/// The BOM of a release's AI tools and models.
pub fn bom(
    release: &Release,
    changes: &[ReleaseChange],
    origin: &Origin,
) -> Result<Bom, NotRecorded> {
    let (version, name) = release_names(release, origin);
    let mut properties = vec![
        property("aiprov:range", &release.range),
        property("aiprov:commit", &release.commit),
    ];
    properties.extend(release.base.iter().map(|b| property("aiprov:base", b)));
    let subject = Component {
        type_: "application",
        bom_ref: Some("release".into()),
        name,
        version: Some(version),
        scope: None,
        external_references: origin
            .repository
            .iter()
            .map(|url| Reference {
                type_: "vcs",
                url: url.clone(),
            })
            .collect(),
        properties,
    };
    let aiprov = Component {
        type_: "application",
        bom_ref: None,
        name: "aiprov".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        scope: None,
        external_references: Vec::new(),
        properties: Vec::new(),
    };
    Ok(Bom {
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        version: 1,
        metadata: Metadata {
            timestamp: release_date(release, changes, &origin.time_verified),
            lifecycles: vec![Lifecycle { phase: "pre-build" }],
            tools: Tools {
                components: vec![aiprov],
            },
            component: subject,
        },
        components: used(changes)?.iter().map(component).collect(),
    })
}

/// A tool or model as a component: `aiprov:commit` for each change whose attestation names it,
/// `aiprov:file` (`COMMIT:PATH`) for each of their files with declared AI use.
fn component(used: &Used) -> Component {
    let (type_, prefix) = match used.kind {
        Kind::Tool => ("application", "tool"),
        Kind::Model => ("machine-learning-model", "model"),
    };
    let bom_ref = match &used.version {
        Some(v) => format!("aiprov:{prefix}:{}@{v}", used.name),
        None => format!("aiprov:{prefix}:{}", used.name),
    };
    let mut properties = Vec::new();
    for change in &used.changes {
        properties.push(property("aiprov:commit", &change.commit));
        for path in &change.files {
            properties.push(property("aiprov:file", format!("{}:{path}", change.commit)));
        }
    }
    Component {
        type_,
        bom_ref: Some(bom_ref),
        name: used.name.clone(),
        version: used.version.clone(),
        scope: Some("excluded"),
        external_references: Vec::new(),
        properties,
    }
}
