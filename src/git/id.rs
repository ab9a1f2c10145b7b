//! aiprov's own commit id: what the rest of aiprov names commits by, so that only `git/` knows
//! libgit2's `Oid`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The id of a commit: its SHA-1 (the only object format libgit2 reads here), kept as
/// gix-hash's id, which also has a SHA-256 form. Displayed as full lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(gix_hash::ObjectId);

/// Text that is not a full commit id.
#[derive(Debug, Error)]
#[error("'{text}' is not a full commit id (40 hexadecimal digits)")]
pub struct ParseCommitIdError {
    text: String,
}

impl CommitId {
    /// How many hex digits [`CommitId::short`] shows.
    pub const SHORT_LEN: usize = 12;

    /// The first [`CommitId::SHORT_LEN`] hex digits, for messages.
    pub fn short(&self) -> String {
        self.0.to_hex_with_len(Self::SHORT_LEN).to_string()
    }

    pub(super) fn from_git2(id: git2::Oid) -> CommitId {
        CommitId(
            gix_hash::ObjectId::try_from(id.as_bytes()).expect("libgit2 ids are 20-byte SHA-1"),
        )
    }

    pub(super) fn to_git2(self) -> git2::Oid {
        git2::Oid::from_bytes(self.0.as_bytes()).expect("a commit id is a 20-byte SHA-1")
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitId({self})")
    }
}

impl FromStr for CommitId {
    type Err = ParseCommitIdError;

    /// A full id in hex (either case), as `git rev-parse` prints it; abbreviations are refused
    /// (resolve those with [`super::Repo::commit_id`]).
    fn from_str(text: &str) -> Result<CommitId, ParseCommitIdError> {
        gix_hash::ObjectId::from_hex(text.as_bytes())
            .map(CommitId)
            .map_err(|_| ParseCommitIdError {
                text: text.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn parses_and_displays_full_hex() {
        let id: CommitId = HEX.parse().expect("a full id");
        assert_eq!(id.to_string(), HEX);
        assert_eq!(format!("{id:?}"), format!("CommitId({HEX})"));
        assert_eq!(id.short(), &HEX[..12]);
        let upper: CommitId = HEX.to_uppercase().parse().expect("upper case is hex too");
        assert_eq!(upper, id);
    }

    #[test]
    fn refuses_abbreviations_and_non_hex() {
        // git2's Oid::from_str would take "0123" for 0123000...0.
        for text in [
            "",
            "0123",
            &HEX[..39],
            &format!("{HEX}0"),
            &HEX.replace('a', "g"),
        ] {
            let e = text.parse::<CommitId>().expect_err(text);
            assert_eq!(
                e.to_string(),
                format!("'{text}' is not a full commit id (40 hexadecimal digits)")
            );
        }
    }

    #[test]
    fn agrees_with_git2() {
        let oid = git2::Oid::from_str(HEX).expect("hex");
        let id = CommitId::from_git2(oid);
        assert_eq!(id.to_string(), oid.to_string());
        assert_eq!(id.to_git2(), oid);
        // The order is that of the bytes, as git2's.
        let other = git2::Oid::from_str("1123456789abcdef0123456789abcdef01234567").expect("hex");
        assert_eq!(
            id.cmp(&CommitId::from_git2(other)),
            oid.cmp(&other),
            "ordered as git2 orders"
        );
    }
}
