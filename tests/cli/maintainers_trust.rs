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

/// A QEMU-style MAINTAINERS: andrew maintains `src/`, jan `lib/`.
const TWO_SECTIONS: &str =
    "Parser\nM:\tAndrew Cooper <andrew@example.org>\nS:\tMaintained\nF:\tsrc/\n\n\
     Library\nM:\tJan Beulich <jan@example.org>\nS:\tMaintained\nF:\tlib/\n";

/// A repository whose MAINTAINERS gives `src/` to andrew and `lib/` to jan, trusting alice (the
/// author), andrew and jan, with on top an AI fix of 30 lines in each that alice attested: the
/// base and the keys of andrew and jan.
fn ai_fix_in_two_sections() -> (Fixture, String, [std::path::PathBuf; 2]) {
    let (f, _, keys) = ai_fix_under(TWO_SECTIONS);
    f.git(&["reset", "-q", "--hard", "HEAD~1"]);
    f.write("src/parse.c", lines("int parse", 100));
    f.write("lib/list.c", lines("int list", 100));
    let base = f.commit_all(&format!("Files\n\n{SOB}"));
    f.write(
        "src/parse.c",
        lines("int parse", 70) + &lines("int parse fixed", 30),
    );
    f.write(
        "lib/list.c",
        lines("int list", 70) + &lines("int list fixed", 30),
    );
    f.commit_all(&format!("parse, list: fix\n\nAI-used-for: code\n{SOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(f.tmp.path().join("keys/alice"))
        .assert()
        .success();
    (f, base, keys)
}

fn approve_outcome(f: &Fixture, key: &std::path::Path, email: &str) -> String {
    f.outcome(
        f.aiprov()
            .args(["approve", "--key"])
            .arg(key)
            .env("GIT_COMMITTER_EMAIL", email),
    )
}

/// Issue 17, point 1: a missing approval names who could give it (as get_maintainer.pl lists
/// them); approving as a non-maintainer of a file warns that it will not count for it; two
/// maintainers' approvals sit side by side in the note, a re-approval replaces only the
/// approver's own; and verify shows the approvals a pass relies on, in human and JSON output.
#[test]
fn approvals_name_their_maintainers_coexist_and_show_in_verify() {
    let (f, base, [andrew, jan]) = ai_fix_in_two_sections();
    let range = format!("{base}..HEAD");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", &range])), @"
        exit: 1
        --- stdout
        FAIL [id] parse, list: fix (attested by alice@example.org)
            error [policy.fix-too-large] 60 changed lines of AI-written code, over the small-fix limit of 10 (tests not counted)
            error [policy.approval-missing] lib/list.c: the AI use needs the approval of one of its maintainers: Jan Beulich <jan@example.org>
            error [policy.approval-missing] src/parse.c: the AI use needs the approval of one of its maintainers: Andrew Cooper <andrew@example.org>
        verification failed: 0 passed, 1 failed
        --- stderr
    ");

    insta::assert_snapshot!(approve_outcome(&f, &jan, "jan@example.org"), @"
        exit: 0
        --- stdout
        --- stderr
        warning: jan@example.org is not a maintainer of 1 file of [id] parse, list: fix in MAINTAINERS at [id]: the approval will not count for it: src/parse.c (maintained by Andrew Cooper <andrew@example.org>)
        approved [id] parse, list: fix as jan@example.org
    ");
    insta::assert_snapshot!(approve_outcome(&f, &andrew, "andrew@example.org"), @"
        exit: 0
        --- stdout
        --- stderr
        warning: andrew@example.org is not a maintainer of 1 file of [id] parse, list: fix in MAINTAINERS at [id]: the approval will not count for it: lib/list.c (maintained by Jan Beulich <jan@example.org>)
        approved [id] parse, list: fix as andrew@example.org
    ");
    let note = f.git(&["notes", "--ref=aiprov", "show", "HEAD"]);
    assert_eq!(
        note.lines().count(),
        3,
        "alice's attestation and both approvals: {note}"
    );

    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", &range])), @"
        exit: 0
        --- stdout
        PASS [id] parse, list: fix (attested by alice@example.org)
            approved by jan@example.org for lib/list.c
            approved by andrew@example.org for src/parse.c
        verified: 1 passed, 0 failed
        --- stderr
    ");
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &range])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid("report.schema.json", &doc);
    let approvals = &doc["changes"][0]["approvals"];
    assert_eq!(
        approvals
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["approver"].as_str().unwrap(), a["files"].clone()))
            .collect::<Vec<_>>(),
        vec![
            ("jan@example.org", serde_json::json!(["lib/list.c"])),
            ("andrew@example.org", serde_json::json!(["src/parse.c"])),
        ]
    );

    // andrew approves again, with a comment: his line is replaced, jan's is kept, and he is told.
    let again = f.outcome(
        f.aiprov()
            .args(["approve", "--comment", "checked the loop bounds", "--key"])
            .arg(&andrew)
            .env("GIT_COMMITTER_EMAIL", "andrew@example.org"),
    );
    assert!(again.contains("replacing your earlier approval"), "{again}");
    let after = f.git(&["notes", "--ref=aiprov", "show", "HEAD"]);
    let (before, after): (Vec<&str>, Vec<&str>) = (note.lines().collect(), after.lines().collect());
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(after[..2], before[..2], "alice's and jan's lines are kept");
    assert_ne!(after[2], before[2], "andrew's line is his new approval");
    assert_eq!(
        f.aiprov()
            .args(["verify", &range])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0),
        "jan's approval still counts"
    );
}

/// Without a MAINTAINERS file no approval can count, and both approve and verify say so.
#[test]
fn without_maintainers_no_approval_counts_and_both_sides_say_so() {
    let (f, base, [andrew, _]) = ai_fix_under("");
    f.git(&["reset", "-q", "--hard", "HEAD~1"]);
    f.git(&["rm", "-q", "MAINTAINERS"]);
    let base2 = f.commit_all(&format!("No maintainers\n\n{SOB}"));
    let _ = base;
    f.write(
        "xen/common/kexec.c",
        lines("int kexec", 40) + &lines("int kexec fixed", 60),
    );
    f.commit_all(&format!("kexec: fix\n\nAI-used-for: code\n{SOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(f.tmp.path().join("keys/alice"))
        .assert()
        .success();
    let approved = approve_outcome(&f, &andrew, "andrew@example.org");
    assert!(
        approved.contains("warning: there is no MAINTAINERS file at")
            && approved.contains("will not count"),
        "{approved}"
    );
    let verified = f.outcome(f.aiprov().args(["verify", &format!("{base2}..HEAD")]));
    assert!(
        verified.contains("the trusted revision has no MAINTAINERS file, so no approval can count"),
        "{verified}"
    );
}
