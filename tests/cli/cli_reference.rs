//! docs/cli.md is the `--help` of every command; this test keeps it from drifting.
//! Regenerate with `AIPROV_UPDATE_DOCS=1 cargo test --test cli cli_reference::`.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("aiprov"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .env_remove("AIPROV_NOTES_REF")
        .output()
        .expect("run aiprov");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

fn reference() -> String {
    let mut doc = String::from(
        "# Command-line reference\n\nGenerated from the clap definitions (`tests/cli/cli_reference.rs` checks that it is current).\n",
    );
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["keygen"],
        &["keyring"],
        &["keyring", "add"],
        &["keyring", "revoke"],
        &["keyring", "list"],
        &["attest"],
        &["hook"],
        &["hook", "post-commit"],
        &["hook", "post-rewrite"],
        &["verify"],
        &["am"],
        &["approve"],
        &["show"],
        &["fetch"],
        &["push"],
        &["archive"],
        &["report"],
        &["policy"],
        &["policy", "show"],
        &["policy", "check"],
        &["verify-bundle"],
        &["completions"],
        &["man"],
    ];
    for args in commands {
        let title = if args.is_empty() {
            "aiprov".to_string()
        } else {
            format!("aiprov {}", args.join(" "))
        };
        doc.push_str(&format!("\n## `{title}`\n\n```text\n{}```\n", help(args)));
    }
    doc
}

/// The subcommands a `--help` lists (but `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_cli_reference_documents_every_subcommand() {
    let doc = reference();
    let mut missing = Vec::new();
    for command in subcommands(&help(&[])) {
        let nested: Vec<String> = subcommands(&help(&[&command]));
        for args in
            std::iter::once(command.clone()).chain(nested.iter().map(|n| format!("{command} {n}")))
        {
            if !doc.contains(&format!("## `aiprov {args}`")) {
                missing.push(args);
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/cli.md: {missing:?}");
}

#[test]
fn the_cli_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md");
    let expected = reference();
    if std::env::var_os("AIPROV_UPDATE_DOCS").is_some() {
        std::fs::write(path, &expected).expect("write docs/cli.md");
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/cli.md is out of date: run AIPROV_UPDATE_DOCS=1 cargo test --test cli cli_reference::"
    );
}
