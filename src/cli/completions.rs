//! `aiprov completions SHELL` and the man page, generated from the clap definitions.

use std::path::PathBuf;

use clap::CommandFactory;

use std::io::Write;

use super::{Cli, Context};
use crate::app::Error;

/// Print shell completions
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Write man pages (aiprov.1 and one per subcommand) into a directory, or aiprov.1 to stdout
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Directory to write the pages into
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Writes the completions through the user interface, like every other output. They are made
/// in memory first: clap_complete panics when its writer fails (a closed pipe).
pub fn run(ctx: &Context, args: Args) -> Result<i32, Error> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "aiprov", &mut script);
    ctx.out.stdout().write_all(&script)?;
    Ok(0)
}

pub fn man(ctx: &Context, args: ManArgs) -> Result<i32, Error> {
    let cmd = Cli::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            clap_mangen::generate_to(cmd, &dir)?;
        }
        None => clap_mangen::Man::new(cmd).render(&mut ctx.out.stdout())?,
    }
    Ok(0)
}
