//! `.mailmap` (gitmailmap(5)): the canonical name and address of a person who commits or signs
//! off under several, as `git log --use-mailmap` and `git check-mailmap` resolve them.

use gix_mailmap::Snapshot;

use crate::trailers::Identity;

/// A parsed `.mailmap`.
pub struct Mailmap(Snapshot);

impl Mailmap {
    /// Reads a `.mailmap`; as in git, lines it cannot read are skipped.
    pub fn parse(text: &[u8]) -> Mailmap {
        Mailmap(Snapshot::from_bytes(text))
    }

    /// The canonical identity of `identity`: itself when no entry maps it.
    pub fn resolve(&self, identity: &Identity) -> Identity {
        let found = gix_actor::SignatureRef {
            name: identity.name.as_str().into(),
            email: identity.email.as_str().into(),
            time: "",
        };
        match self.0.try_resolve_ref(found) {
            Some(mapped) => Identity {
                name: mapped
                    .name
                    .map_or_else(|| identity.name.clone(), |n| n.to_string()),
                email: mapped
                    .email
                    .map_or_else(|| identity.email.clone(), |e| e.to_string()),
            },
            None => identity.clone(),
        }
    }
}
