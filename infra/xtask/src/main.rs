//! `cargo demo [serve flags]`: builds the demo's WebAssembly plugins (cargo
//! rebuilds only what changed), then runs `kentro serve --demo` from a
//! release build, so a newcomer needs one command for the full demo.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("infra/xtask sits two folders below the repository root")
        .to_path_buf()
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{shown} failed ({status})")),
        Err(e) => Err(format!("cannot run {shown}: {e}")),
    }
}

fn demo(extra: &[String]) -> Result<(), String> {
    let root = repo_root();
    eprintln!("building the demo's plugins (infra/build-plugins.sh)…");
    run(Command::new(root.join("infra/build-plugins.sh")).current_dir(&root))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo)
        .current_dir(&root)
        .args(["run", "--release", "-p", "kentro", "--", "serve", "--demo"])
        .args(extra))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        _ => Err("usage: cargo demo [flags for `kentro serve`]".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("{problem}");
            ExitCode::FAILURE
        }
    }
}
