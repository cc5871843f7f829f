//! The `herald` command line.

use clap::{Parser, Subcommand};
use tokio::sync::{watch, Notify};

use crate::admins;
use crate::app::App;
use crate::config::Config;
use crate::newsletters;
use crate::startup::{ensure_admin_token, open_store, spawn_workers, Application};
use crate::store::AdminUpsert;
use crate::subscribers::{Importer, Mode};

#[derive(Debug, Parser)]
#[command(
    name = "herald",
    version,
    about = "Newsletter subscription and distribution server"
)]
pub struct Cli {
    /// A TOML configuration file to read instead of ./herald.toml (it must
    /// exist). The environment still wins over it.
    #[arg(long, global = true, env = "HERALD_CONFIG", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, then serve HTTP and run the delivery worker (the default).
    Serve,
    /// Run only the delivery worker.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage newsletters.
    #[command(subcommand)]
    Newsletter(NewsletterCommand),
    /// Manage admin API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the web console's admin users.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Digests: build and send one now, or preview the next.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Import subscribers from a CSV file with a header row naming an
    /// `email` (and optionally a `name`) column. Rows are pending and get a
    /// confirmation email, sent by a running `herald serve` or `herald worker`.
    Import {
        /// The newsletter to import into.
        slug: String,
        /// The CSV file.
        file: std::path::PathBuf,
        /// Import as confirmed: they already agreed elsewhere (needs --consent).
        #[arg(long, requires = "consent")]
        confirmed: bool,
        /// How they consented; kept in each one's consent log.
        #[arg(long, requires = "confirmed")]
        consent: Option<String>,
    },
    /// Copy the SQLite database into FILE while servers run (PostgreSQL: use pg_dump).
    ///
    /// The copy is one consistent snapshot, checked with SQLite's integrity
    /// check. FILE must not exist.
    Backup {
        /// Where the copy goes; created readable by its owner only.
        file: std::path::PathBuf,
    },
    /// Exit 0 when the server answers 200 on /health, 1 otherwise (health checks).
    ///
    /// Asks HERALD_LISTEN's address, on loopback when it is 0.0.0.0 or [::].
    Health {
        /// The server's URL instead (`http://127.0.0.1:8080`; `/health` is
        /// added unless given).
        #[arg(long)]
        url: Option<String>,
        /// How long to wait for the answer (`5s`, `500ms`).
        #[arg(long, default_value = "5s", value_parser = parse_timeout)]
        timeout: std::time::Duration,
    },
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Build the newsletter's next digest and send it, showing progress.
    Send { slug: String },
    /// Print the text of the newsletter's next digest; nothing is sent.
    Preview { slug: String },
}

#[derive(Debug, Subcommand)]
pub enum NewsletterCommand {
    /// Add a newsletter.
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// The language of its pages and emails (`en`, `uk`); default
        /// `HERALD_LANGUAGE`.
        #[arg(long)]
        language: Option<String>,
    },
    /// List newsletters.
    List,
    /// Send the newsletter's digests on a schedule (checked by every
    /// `herald serve`), or stop with --off.
    Schedule {
        slug: String,
        /// A cron expression: 5 fields, or 6 with seconds first ("0 7 * * 1-5").
        #[arg(required_unless_present = "off")]
        cron: Option<String>,
        /// An IANA time zone (default: HERALD_TIMEZONE).
        #[arg(long)]
        zone: Option<String>,
        /// How many new items a slot needs (default 1).
        #[arg(long)]
        min_items: Option<i32>,
        /// Stop sending on a schedule.
        #[arg(long, conflicts_with_all = ["cron", "zone", "min_items"])]
        off: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an admin user for the web console at /admin, or give an
    /// existing one a new password (which ends all of its sessions). The
    /// password is read from stdin when it is not a terminal, otherwise
    /// prompted for (twice, without echo).
    Add { email: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once and stored hashed.
    Create {
        #[arg(long)]
        name: String,
    },
    /// List tokens (names and use, never the tokens).
    List,
    /// Revoke a token by name.
    Revoke { name: String },
}

/// Runs the command with the loaded configuration (`herald health --url`
/// needs none: `main` answers it before loading).
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Health { url, timeout } => {
            let url = url.unwrap_or_else(|| crate::commands::health_url(&config.listen));
            crate::commands::health(&url, timeout).await
        }
        Command::Backup { file } => crate::commands::backup(&config, &file).await,
        Command::Serve => {
            let store = open_store(&config).await?;
            ensure_admin_token(&store, &config).await?;
            Application::build(config, store)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Worker => {
            let store = open_store(&config).await?;
            let (stop, stop_rx) = watch::channel(false);
            let wake = std::sync::Arc::new(Notify::new());
            let config = Config {
                workers: config.workers.max(1),
                ..config
            };
            let tasks = spawn_workers(&config, &store, &wake, &stop_rx).await?;
            shutdown_signal().await;
            tracing::info!("stopping: finishing the messages in flight");
            let _ = stop.send(true);
            for t in tasks {
                t.await?;
            }
            store.close().await;
            Ok(())
        }
        Command::Migrate => {
            open_store(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Newsletter(cmd) => crate::commands::newsletter(&config, cmd).await,
        Command::Token(cmd) => token_command(&config, cmd).await,
        Command::Admin(AdminCommand::Add { email }) => admin_add(&config, &email).await,
        Command::Digest(DigestCommand::Send { slug }) => {
            crate::commands::digest_send(config, &slug).await
        }
        Command::Digest(DigestCommand::Preview { slug }) => {
            crate::commands::digest_preview(config, &slug).await
        }
        Command::Import {
            slug,
            file,
            confirmed,
            consent,
        } => import(&config, &slug, &file, confirmed, consent.as_deref()).await,
    }
}

/// `herald import`: the same import as the admin API, straight into the
/// database, with a progress bar by bytes read (on a terminal only).
async fn import(
    config: &Config,
    slug: &str,
    file: &std::path::Path,
    confirmed: bool,
    consent: Option<&str>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

    let mode = Mode::new(confirmed, consent).map_err(crate::app::Error::into_anyhow)?;
    let input = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let store = open_store(config).await?;
    let app = App::new(
        std::sync::Arc::new(config.clone()),
        store.clone(),
        Default::default(),
    )
    .await?;
    let newsletter = newsletters::get(&app, slug).await.map_err(|e| match e {
        crate::app::Error::NotFound { .. } => anyhow::anyhow!("no newsletter `{slug}`"),
        e => e.into_anyhow(),
    })?;
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(size), target).with_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")?,
    );
    let importer = Importer {
        app: &app,
        newsletter: &newsletter,
        mode,
    };
    let result = importer.run(bar.wrap_read(input)).await;
    bar.finish_and_clear();
    let summary = result?;
    println!(
        "imported {}, skipped {}, invalid {}, suppressed {}",
        summary.imported, summary.skipped, summary.invalid_total, summary.suppressed
    );
    const SHOWN: usize = 20;
    for row in summary.invalid.iter().take(SHOWN) {
        println!("  line {}: {:?}: {}", row.line, row.value, row.reason);
    }
    if summary.invalid_total > SHOWN as u64 {
        println!("  … and {} more", summary.invalid_total - SHOWN as u64);
    }
    store.close().await;
    Ok(())
}

async fn token_command(config: &Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match cmd {
        TokenCommand::Create { name } => {
            let raw = admins::create_token(&store, &name)
                .await
                .map_err(crate::app::Error::into_anyhow)?;
            eprintln!("token `{name}` created; it is shown only this once:");
            println!("{raw}");
        }
        TokenCommand::List => {
            for t in admins::list_tokens(&store)
                .await
                .map_err(crate::app::Error::into_anyhow)?
            {
                let used = t
                    .last_used_at
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}\tcreated {}\tlast used {}",
                    t.name,
                    t.created_at.to_rfc3339(),
                    used
                );
            }
        }
        TokenCommand::Revoke { name } => {
            admins::revoke_token(&store, &name)
                .await
                .map_err(crate::app::Error::into_anyhow)?;
            println!("token `{name}` revoked");
        }
    }
    Ok(())
}

/// `herald admin add EMAIL`: creates the console user or changes its password.
async fn admin_add(config: &Config, email: &str) -> anyhow::Result<()> {
    let secret = read_password()?;
    let store = open_store(config).await?;
    let added = admins::add_admin(&store, email, secret).await;
    store.close().await;
    let (email, outcome) = added.map_err(crate::app::Error::into_anyhow)?;
    match outcome {
        AdminUpsert::Created => println!(
            "admin {} added; sign in at {}/admin",
            email.as_str(),
            config.base_url
        ),
        AdminUpsert::PasswordChanged => {
            println!(
                "admin {}: password changed, every session ended",
                email.as_str()
            )
        }
    }
    Ok(())
}

/// The first line of stdin when it is piped; otherwise a prompt, twice,
/// with the terminal's echo off (rpassword, which restores the terminal
/// even when reading fails).
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};

    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut buf = String::new();
        stdin.lock().read_line(&mut buf)?;
        return Ok(buf.trim_end_matches(['\n', '\r']).to_string());
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Again: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
