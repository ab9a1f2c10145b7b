//! `patch::apply` rebuilds the new side of a file from git's own diff of it and its pre-image:
//! random edits, including a missing final newline, CRLF lines and edits at either end.

use crate::common;

use common::{git_bytes, Fixture};
use proptest::prelude::*;

fn edit() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    let line = prop_oneof![
        "[a-c]{0,3}".prop_map(|s| format!("{s}\n")),
        Just("same\n".to_string()),
        Just("crlf\r\n".to_string()),
    ];
    (
        prop::collection::vec(line.clone(), 0..40),
        prop::collection::vec(line, 0..40),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mut old, mut new, cut_old, cut_new)| {
            for (text, cut) in [(&mut old, cut_old), (&mut new, cut_new)] {
                if let Some(last) = text.last_mut().filter(|_| cut) {
                    last.pop();
                }
            }
            (old, new)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn applying_gits_diff_to_the_old_side_gives_the_new_side((old, new) in edit()) {
        let (old, new) = (old.concat(), new.concat());
        let f = Fixture::new();
        f.write("f.c", &old);
        f.commit_all("old");
        f.write("f.c", &new);
        let diff = git_bytes(&f.repo, &["diff", "--full-index"]);
        let rebuilt = aiprov::patch::apply(&diff, "f.c", old.as_bytes());
        if old == new {
            prop_assert_eq!(rebuilt, None, "no section for an unchanged file");
        } else {
            prop_assert_eq!(rebuilt.map(String::from_utf8), Some(Ok(new)));
        }
    }
}

#[test]
fn a_diff_made_from_another_pre_image_does_not_apply() {
    let diff = b"diff --git a/f.c b/f.c\nindex 1..2 100644\n--- a/f.c\n+++ b/f.c\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n";
    assert_eq!(
        aiprov::patch::apply(diff, "f.c", b"x\ny\n"),
        Some(b"x\nz\n".to_vec())
    );
    assert_eq!(aiprov::patch::apply(diff, "f.c", b"x\nw\n"), None);
    assert_eq!(aiprov::patch::apply(diff, "f.c", b"x\n"), None);
    assert_eq!(aiprov::patch::apply(diff, "g.c", b"x\ny\n"), None);
}
