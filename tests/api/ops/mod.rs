//! What an operator runs beside the server: `herald backup` (and a server
//! on the restored copy), `herald health`, and the configuration an
//! operator expects (`--config`, `HERALD_*_FILE`, unknown variables,
//! `--version`). Each runs the real `herald` binary.

mod backup;
mod config;
mod health;

use std::path::Path;
use std::time::Duration;

/// Runs `herald ARGS` in `dir` with `env` (and none of the caller's
/// `HERALD_*` or `DATABASE_URL`), waiting at most 60 s.
pub async fn herald(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.args(args).current_dir(dir).kill_on_drop(true);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("HERALD_") || k == "DATABASE_URL" {
            cmd.env_remove(k.as_ref());
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("herald {args:?} did not finish within 60 s"))
        .expect("run the herald binary")
}

/// A scratch folder, removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("herald-{name}-{}", crate::helpers::random_hex(10)));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> std::path::PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
