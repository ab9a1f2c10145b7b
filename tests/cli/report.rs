//! `aiprov report` on a release of 32 commits: figures checked against `git log --numstat`,
//! the same report from the range and from its archive, Markdown, and the HTML page rendered
//! in headless Chromium (the screenshot is not blank, the figures shown are the JSON report's).

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::assert_schema_valid;
use common::release::ReleaseRepo;
use serde_json::Value;

fn report(r: &ReleaseRepo, args: &[&str], dir: &Path) -> Value {
    let out =
        r.f.aiprov()
            .current_dir(dir)
            .args(["report", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_schema_valid("ai-report.schema.json", &doc);
    doc
}

fn row<'a>(doc: &'a Value, key: &str, name: &str) -> &'a Value {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name || r["category"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {key}: {doc:#}"))
}

#[test]
fn the_report_counts_what_git_counts_and_the_archive_gives_the_same_report() {
    let r = ReleaseRepo::new();
    let doc = report(&r, &["v1.0..v1.1"], &r.f.repo);
    let numstat = r.numstat();
    let ai: BTreeMap<(String, String), u64> = numstat
        .iter()
        .filter(|((c, p), _)| {
            r.ai_files
                .iter()
                .any(|(id, files)| id == c && files.contains(p))
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let sum = |m: &BTreeMap<(String, String), u64>, f: &dyn Fn(&str, &str) -> bool| -> u64 {
        m.iter().filter(|((c, p), _)| f(c, p)).map(|(_, n)| n).sum()
    };
    let t = &doc["totals"];
    // 32 commits; the merge is counted in the commits it merges.
    assert_eq!(t["changes"], 31);
    assert_eq!(t["unattested"], 1);
    assert_eq!(t["changedLines"], sum(&numstat, &|_, _| true));
    assert_eq!(t["aiLines"], sum(&ai, &|_, _| true));
    assert_eq!(
        t["unattestedLines"],
        sum(&numstat, &|c, _| c == r.unattested)
    );
    assert_eq!(
        t["aiChanges"],
        r.ai_files.iter().filter(|(_, f)| !f.is_empty()).count()
    );
    assert_eq!(t["researchOnly"], 5);
    for dir in ["tests", "docs", "block", "hw"] {
        let prefix = format!("{dir}/");
        let row = row(&doc, "byDirectory", dir);
        assert_eq!(
            row["lines"],
            sum(&numstat, &|_, p| p.starts_with(&prefix)),
            "{dir}"
        );
        assert_eq!(
            row["aiLines"],
            sum(&ai, &|_, p| p.starts_with(&prefix)),
            "{dir}"
        );
    }
    assert_eq!(row(&doc, "byDirectory", "(top level)")["aiLines"], 0);
    let net = row(&doc, "bySection", "Network devices");
    assert_eq!(
        net["lines"],
        sum(&numstat, &|_, p| p.starts_with("hw/net/"))
    );
    assert_eq!(net["aiLines"], 60);
    assert_eq!(net["aiChanges"], 1);
    let months: Vec<(&str, u64)> = doc["byMonth"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["changes"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        months,
        [
            ("2026-09", 10),
            ("2026-10", 10),
            ("2026-11", 10),
            ("2026-12", 1)
        ]
    );
    let tests = row(&doc, "byCategory", "tests");
    assert_eq!(
        (&tests["changes"], &tests["lines"]),
        (&Value::from(6), &Value::from(72))
    );
    assert_eq!(row(&doc, "byCategory", "research")["changes"], 5);
    // Five small fixes in block/ and the approved rewrite in hw/net/.
    assert_eq!(row(&doc, "byCategory", "code")["changes"], 6);

    // The archive's report is the range's, in the repository and outside it.
    let archive = r.archive();
    let archive_arg = archive.to_str().unwrap();
    assert_eq!(report(&r, &["--archive", archive_arg], &r.f.repo), doc);
    let keyring = r.keyring_dir();
    let outside = r.f.tmp.path();
    assert_eq!(
        report(
            &r,
            &[
                "--archive",
                archive_arg,
                "--keyring",
                keyring.to_str().unwrap()
            ],
            outside
        ),
        doc
    );
    // A tampered archive gives no report.
    let text = std::fs::read_to_string(&archive).unwrap();
    let tampered = r.f.tmp.path().join("tampered.jsonl");
    std::fs::write(
        &tampered,
        text.lines().skip(1).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let outcome =
        r.f.outcome(r.f.aiprov().args(["report", "--archive"]).arg(&tampered));
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/tampered.jsonl does not verify (1 problem)
        hint: `aiprov verify --archive [TMP]/tampered.jsonl` lists them
        ");

    // Markdown, the default.
    let out =
        r.f.aiprov()
            .args(["report", "v1.0..v1.1"])
            .output()
            .unwrap();
    insta::assert_snapshot!("markdown_report", r.f.render(&out));
    // Its figures are the JSON report's.
    let md = String::from_utf8(out.stdout).unwrap();
    let hw = row(&doc, "byDirectory", "hw");
    let line = format!(
        "| hw | {} | {} | {} | {} | {:.1}% |",
        hw["changes"],
        hw["aiChanges"],
        hw["lines"],
        hw["aiLines"],
        hw["aiPercent"].as_f64().unwrap()
    );
    assert!(md.contains(&line), "{line}\n{md}");

    html_page_renders_the_json_figures(&r, &doc);
}

/// The JSON value a `data-figure` names: `totals.aiLines`, `byDirectory.hw.lines`.
fn figure<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let (key, rest) = name.split_once('.').unwrap();
    if key == "totals" {
        return &doc["totals"][rest];
    }
    if key == "changes" {
        let (i, field) = rest.split_once('.').unwrap();
        return &doc["changes"][i.parse::<usize>().unwrap()][field];
    }
    let (row_name, field) = rest.rsplit_once('.').unwrap();
    &row(doc, key, row_name)[field]
}

fn shown(value: &Value, field: &str) -> String {
    if field.ends_with("Percent") {
        format!("{:.1}%", value.as_f64().unwrap())
    } else if let Some(text) = value.as_str() {
        text.to_string()
    } else {
        value.to_string()
    }
}

fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium is installed (scripts/test installs Debian's chromium)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn html_page_renders_the_json_figures(r: &ReleaseRepo, doc: &Value) {
    let page = r.f.tmp.path().join("report.html");
    r.f.aiprov()
        .args(["report", "v1.0..v1.1", "--html"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no scripts, no links, no external resources.
    for banned in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(banned), "{banned}");
    }
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    let url = format!("file://{}", page.display());
    let profile = r.f.tmp.path().join("chromium");
    // The figures of the rendered page.
    let dom = String::from_utf8(chromium(&["--dump-dom", &url], &profile).stdout).unwrap();
    let re = regex::Regex::new(r#"data-figure="([^"]+)">([^<]*)<"#).unwrap();
    let mut checked = 0;
    for cap in re.captures_iter(&dom) {
        let name = cap[1].replace("&amp;", "&");
        let field = name.rsplit('.').next().unwrap();
        assert_eq!(&cap[2], shown(figure(doc, &name), field), "{name}");
        checked += 1;
    }
    let rows = ["byCategory", "byDirectory", "bySection", "byMonth"]
        .iter()
        .map(|k| doc[k].as_array().unwrap().len())
        .collect::<Vec<_>>();
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 31);
    assert_eq!(
        checked,
        7 + rows[0] * 3 + (rows[1] + rows[2] + rows[3]) * 5 + changes.len() * 3,
        "{dom}"
    );
    // Issue 17, point 6: the per-change list shows the approvals, and the page says what its
    // AI share counts.
    let approved: Vec<(&str, &Value)> = changes
        .iter()
        .filter(|c| !c["approvals"].as_array().unwrap().is_empty())
        .map(|c| (c["title"].as_str().unwrap(), &c["approvals"]))
        .collect();
    assert_eq!(
        approved,
        [(
            "change 11: hw/net/rewrite.c",
            &serde_json::json!(["bob@example.org"])
        )]
    );
    assert!(
        dom.contains("change 11: hw/net/rewrite.c</td>")
            && dom.contains("<td class=\"text approvals\">bob@example.org</td>"),
        "{dom}"
    );
    for precise in [
        "as <code>git log --numstat</code> counts them",
        "attestations are per file, not per line, so the share is an upper bound",
        "never as AI's",
    ] {
        assert!(dom.contains(precise), "{precise}");
    }
    // The screenshot shows the page: mostly background, with text and the charts' colours.
    let shot = r.f.tmp.path().join("report.png");
    chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1800",
            &url,
        ],
        &profile,
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    assert_eq!((info.width, info.height), (1200, 1800));
    let not_white = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let ai_red = pixels
        .iter()
        .filter(|p| p[..3] == [0xcf, 0x22, 0x2e])
        .count();
    assert!(
        not_white * 50 > pixels.len(),
        "the page looks blank: {not_white} non-white pixels"
    );
    assert!(ai_red > 500, "no AI bars drawn: {ai_red} red pixels");
}
