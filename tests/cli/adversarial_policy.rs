//! The policy's gates cannot be talked around (issue 13, classes 4 and 8): path classes follow the
//! project's layout, not file-name suffixes that code uses too, and the comment detector lexes
//! each language so that code never passes as a comment. Real repositories through the binary.

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

fn repo(files: &[(&str, &str)]) -> (Fixture, std::path::PathBuf, String) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    for (path, content) in files {
        f.write(path, content);
    }
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    (f, key, base)
}

/// Commits `path` = `content` with `AI-used-for: trailer`, attests it as the trailer says, and
/// returns verify's exit code and finding codes.
fn ai_change(
    base_files: &[(&str, &str)],
    path: &str,
    content: &str,
    trailer: &str,
) -> (i32, Vec<String>) {
    let (f, key, base) = repo(base_files);
    f.write(path, content);
    f.commit_all(&format!("Change\n\nAI-used-for: {trailer}\n{SOB}"));
    f.aiprov()
        .args(["attest", "-y", "--key"])
        .arg(&key)
        .assert()
        .success();
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .expect("verify");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let mut codes: Vec<String> = doc["changes"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    codes.sort();
    codes.dedup();
    (out.status.code().unwrap_or(-1), codes)
}

#[test]
fn code_named_like_tests_or_docs_is_code() {
    let fifty = lines("option('x', type: 'boolean', value: true)", 50);
    for (path, trailer) in [
        ("meson_options.txt", "docs"),
        ("hw/net/CMakeLists.txt", "docs"),
        ("hw/x_test.c", "tests"),
        ("hw/test_x.c", "tests"),
        ("hw/net/test/x.c", "tests"),
        ("hw/net/tests/x.c", "tests"),
        ("README.c", "docs"),
    ] {
        let (code, codes) = ai_change(&[], path, &fifty, trailer);
        assert_eq!(code, 1, "{path}: {codes:?}");
        assert!(
            codes.contains(&"policy.category-not-allowed".to_string()),
            "{path}: {codes:?}"
        );
        // Declared as code, 50 lines are over the small-fix limit.
        let (code, codes) = ai_change(&[], path, &fifty, "code");
        assert_eq!(code, 1, "{path}: {codes:?}");
        assert!(
            codes.contains(&"policy.fix-too-large".to_string()),
            "{path}: {codes:?}"
        );
    }
}

#[test]
fn the_project_layout_still_counts() {
    let fifty = lines("line", 50);
    for (path, trailer) in [
        ("tests/qtest/x-test.c", "tests"),
        ("tests/unit/test-x.c", "tests"),
        ("docs/devel/x.rst", "docs"),
        ("docs/interop/x.txt", "docs"),
        ("hw/net/README.rst", "docs"),
    ] {
        assert_eq!(ai_change(&[], path, &fifty, trailer), (0, vec![]), "{path}");
    }
}

/// 60 lines of code, each `prefix` then a call.
fn calls(prefix: &str, n: usize) -> String {
    (0..n).map(|i| format!("{prefix}f{i}();\n")).collect()
}

#[test]
fn code_dressed_as_comments_is_code() {
    // Each would have passed as documentation (a comment change) to a lexer that misreads
    // a literal: the code after it looks like the inside of a comment, or its lines shift.
    let attacks = [
        (
            "hw/a.c",
            "/* c */\nint x;\n".to_string(),
            format!("char *s = \"a\\\nb\";\n{}/* c */\nint x;\n", calls("", 60)),
        ),
        (
            "rust/src/a.rs",
            "// c\nfn a() {}\n".to_string(),
            format!("// c\nfn a() {{ let q = '\"';\n{}}}\n", calls("    ", 60)),
        ),
        (
            "rust/src/b.rs",
            "// c\nfn a() {}\n".to_string(),
            format!("// c\nfn a() {{ let s = \"/*\";\n{}}}\n", calls("    ", 60)),
        ),
        (
            "scripts/a.py",
            "# c\nx = 1\n".to_string(),
            format!("# c\nx = 1\ns = '''\n'''\n{}", calls("", 60)),
        ),
    ];
    for (path, before, after) in attacks {
        let (code, codes) = ai_change(&[(path, &before)], path, &after, "docs");
        assert_eq!(code, 1, "{path}: {codes:?}");
        assert!(
            codes.contains(&"policy.category-not-allowed".to_string()),
            "{path}: {codes:?}"
        );
    }
}

#[test]
fn a_change_of_comments_only_is_documentation() {
    for (path, before, after) in [
        ("hw/a.c", "return x; /* a */\n", "return x; /* b */\n"),
        ("hw/b.c", "int x;\n", "/* The x. */\nint x;\n"),
        (
            "rust/src/a.rs",
            "fn f<'a>() {}\n",
            "/// F.\nfn f<'a>() {}\n",
        ),
        ("scripts/a.py", "x = 1\n", "x = 1  # one\n"),
    ] {
        let (code, codes) = ai_change(&[(path, before)], path, after, "docs");
        assert_eq!((code, codes), (0, vec![]), "{path}");
    }
}
