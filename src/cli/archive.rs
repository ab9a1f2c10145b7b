//! `aiprov archive RANGE -o FILE.intoto.jsonl`: every attestation and approval of a release,
//! and the release manager's signed summary, in one file to keep beside the tarball.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Context, JobsArg, TrustArgs};
use crate::app::release;
use crate::app::signer::{identity, load_signer, now};
use crate::app::Error;
use crate::archive;
use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::model::{
    ReleaseStatement, ReleaseSummary, Subject, Totals, RELEASE_PREDICATE_TYPE, STATEMENT_TYPE,
};
use crate::signing;

/// Archive the attestations of a release range with a signed release summary
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The release range: the previous release and this one (`v1.0..v1.1`)
    #[arg(value_name = "RANGE")]
    range: String,
    /// The archive to write (an in-toto bundle, one envelope per line)
    #[arg(short, long, value_name = "FILE.intoto.jsonl")]
    output: PathBuf,
    /// The release manager's signing key (as for `aiprov attest`)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Sign as EMAIL [default: the identity the keyring of the release base (or --trust-ref,
    /// --keyring) trusts the key for, else git's user.email]
    #[arg(long, value_name = "EMAIL")]
    signer: Option<String>,
    /// A release tarball to name in the summary by its SHA-256 (repeatable)
    #[arg(long, value_name = "FILE")]
    tarball: Vec<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    jobs: JobsArg,
}

/// A tarball's subject entry: its file name and SHA-256.
fn tarball_subject(path: &Path) -> Result<Subject, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(Subject {
        name,
        digest: BTreeMap::from([(
            "sha256".into(),
            crate::app::verify_archive::sha256_file(path)?,
        )]),
    })
}

pub fn run(ctx: &Context, repo: &crate::git::Repo, args: Args) -> Result<i32, Error> {
    let range = release::resolve(repo, &args.range)?;
    let mut subject = vec![Subject {
        name: range.tip_name.clone(),
        digest: BTreeMap::from([("gitCommit".into(), range.tip.to_string())]),
    }];
    for t in &args.tarball {
        subject.push(tarball_subject(t)?);
    }
    // Fail on a missing key before the long part.
    let signer = load_signer(repo, args.key.as_deref(), &ctx.out)?;
    // `verify --archive` checks the summary with the keyring of the release base.
    let base = range
        .release
        .base
        .as_deref()
        .map(|b| repo.commit_id(b))
        .transpose()?;
    let signer_identity = identity(
        repo,
        &ctx.out,
        signer.public_key(),
        args.trust.options(),
        base,
        args.signer.as_deref(),
    )?;
    let options = release::Options {
        trust: args.trust.options(),
        jobs: args.jobs.jobs,
        notes_ref: &ctx.notes_ref,
    };
    // The envelope lines go to the archive as each change is verified; the summary, signed once
    // all are, comes last.
    let (statement, totals) = write_atomically(&args.output, |out| {
        let mut writer = archive::Writer::new(out);
        let changes = release::record_release(repo, &range, &options, &ctx.out, &mut |lines| {
            Ok(writer.lines(lines)?)
        })?;
        let totals = Totals::of(&changes);
        let statement = ReleaseStatement {
            type_: STATEMENT_TYPE.into(),
            subject,
            predicate_type: RELEASE_PREDICATE_TYPE.into(),
            predicate: ReleaseSummary {
                release: range.release.clone(),
                changes,
                totals: totals.clone(),
                signer: signer_identity.clone(),
                created_at: now()?.to_string(),
            },
        };
        let payload = serde_json::to_vec(&statement)?;
        let envelope = signing::sign_envelope(INTOTO_PAYLOAD_TYPE, &payload, signer.as_ref())?;
        writer.finish(&envelope.to_json())?;
        Ok((statement, totals))
    })?;
    if ctx.out.json() {
        // The signed summary statement (schema/release-summary.schema.json).
        ctx.out.print_json(&statement)?;
    } else {
        let mut out = ctx.out.stdout();
        writeln!(
            out,
            "archived {} of {} ({} passed, {} failed, {} skipped; {}), signed by {} to {}",
            crate::text::count(totals.changes as usize, "change", "changes"),
            args.range,
            totals.pass,
            totals.fail,
            totals.skipped,
            crate::text::count(totals.envelopes as usize, "envelope", "envelopes"),
            signer_identity.email,
            args.output.display()
        )?;
    }
    if totals.fail > 0 {
        let (n, verb) = match totals.fail {
            1 => ("1 change".to_string(), "its"),
            n => (format!("{n} changes"), "their"),
        };
        ctx.out.warn(format!(
            "{n} failed verification; the summary records {verb} findings (`aiprov verify --archive {}` lists them)",
            args.output.display()
        ));
    }
    Ok(0)
}

/// Writes `path` through a temporary file in the same directory, renamed into place when
/// complete, so an interrupted run leaves no partial archive.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&mut tempfile::NamedTempFile>) -> Result<T, Error>,
) -> Result<T, Error> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let err = |e: std::io::Error| Error::msg(format!("cannot write {}: {e}", path.display()));
    // Made as any new file is, 0666 less the user's umask: an archive is published beside
    // the tarball, not a secret (tempfile's default is 0600).
    let mut tmp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(err)?;
    let written = {
        let mut out = std::io::BufWriter::new(&mut tmp);
        let written = write(&mut out)?;
        out.flush().map_err(err)?;
        written
    };
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(written)
}
