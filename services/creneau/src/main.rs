//! `creneau`: maps the outcome of [`creneau::cli::run`] to an exit code, and
//! any error to one line on standard error.

use std::process::ExitCode;

use clap::Parser as _;
use creneau::cli::{Cli, init_tracing, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("creneau: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("creneau: {e:#}");
            ExitCode::FAILURE
        }
    }
}
