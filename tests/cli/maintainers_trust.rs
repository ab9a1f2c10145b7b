//! MAINTAINERS at the trusted revision, end to end: Xen's brace patterns and its `THE REST`
//! decide who may approve AI use, and a pattern aiprov cannot read is a warning that names its
//! line, never an error that stops verification.

use crate::common;

use common::{lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// An excerpt of Xen 4.17's MAINTAINERS (its KEXEC section and THE REST), with `tail` after it.
fn xen_maintainers(tail: &str) -> String {
    format!(
        "KEXEC\nM:\tAndrew Cooper <andrew@example.org>\nS:\tSupported\n\
         F:\txen/common/{{kexec,kimage}}.c\nF:\txen/include/xen/{{kexec,kimage}}.h\n\n\
         THE REST\nM:\tJan Beulich <jan@example.org>\nS:\tSupported\nF:\t*\nF:\t*/\n{tail}"
    )
}

/// A repository trusting alice (the author), andrew and jan, with `maintainers` at its base, and
/// on top a 60-line AI fix of xen/common/kexec.c that alice attested: the base and the keys.
fn ai_fix_under(maintainers: &str) -> (Fixture, String, [std::path::PathBuf; 2]) {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    f.init_trusting("alice@example.org", &alice);
    let keys = [f.keygen("andrew"), f.keygen("jan")];
    for (key, email) in keys.iter().zip(["andrew@example.org", "jan@example.org"]) {
        f.aiprov()
            .args(["keyring", "add", email])
            .arg(key.with_extension("pub"))
            .assert()
            .success();
    }
    f.write("MAINTAINERS", maintainers);
    f.write("xen/common/kexec.c", lines("int kexec", 100));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    f.write(
        "xen/common/kexec.c",
        lines("int kexec", 40) + &lines("int kexec fixed", 60),
    );
    f.commit_all(&format!("kexec: fix\n\nAI-used-for: code\n{SOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&alice)
        .assert()
        .success();
    (f, base, keys)
}

fn verify(f: &Fixture, base: &str) -> (i32, String) {
    let out = f
        .aiprov()
        .args(["verify", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap(), stderr)
}

fn approve(f: &Fixture, key: &std::path::Path, email: &str) {
    f.aiprov()
        .args(["approve", "--key"])
        .arg(key)
        .env("GIT_COMMITTER_EMAIL", email)
        .assert()
        .success();
}

#[test]
fn in_xen_only_the_specific_section_approves_what_it_maintains() {
    let (f, base, [andrew, jan]) = ai_fix_under(&xen_maintainers("V:\txen-maintainers-1\n"));
    let (code, stderr) = verify(&f, &base);
    assert_eq!(code, 1, "the AI fix needs an approval: {stderr}");
    assert!(!stderr.contains("MAINTAINERS"), "{stderr}");
    approve(&f, &jan, "jan@example.org");
    assert_eq!(
        verify(&f, &base).0,
        1,
        "THE REST's maintainer does not approve what KEXEC maintains"
    );
    approve(&f, &andrew, "andrew@example.org");
    assert_eq!(verify(&f, &base).0, 0, "KEXEC's maintainer does");
}

#[test]
fn a_pattern_aiprov_cannot_read_is_a_warning_and_matches_nothing() {
    // Without Xen's V: entry the file reads as Linux's, whose script does not expand braces.
    let (f, base, [andrew, jan]) = ai_fix_under(&xen_maintainers(""));
    approve(&f, &andrew, "andrew@example.org");
    let (code, stderr) = verify(&f, &base);
    assert_eq!(code, 1, "KEXEC's patterns match nothing: {stderr}");
    for line in [4, 5] {
        assert!(
            stderr.contains(&format!(" line {line}: F: 'xen/"))
                && stderr.contains("(linux dialect)"),
            "line {line}: {stderr}"
        );
    }
    approve(&f, &jan, "jan@example.org");
    assert_eq!(verify(&f, &base).0, 0, "THE REST covers the file");
}
