//! The `herald` command line.

use clap::{Parser, Subcommand};
use tokio::sync::{watch, Notify};

use crate::config::Config;
use crate::domain::token;
use crate::startup::{ensure_admin_token, open_store, worker, Application};
use crate::store::{Error, NewNewsletter};

#[derive(Debug, Parser)]
#[command(
    name = "herald",
    version,
    about = "Newsletter subscription and distribution server"
)]
pub struct Cli {
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
    },
    /// List newsletters.
    List,
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

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load()?;
    match cli.command.unwrap_or(Command::Serve) {
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
            let task = tokio::spawn(
                worker(&config, store, std::sync::Arc::new(Notify::new()))?.run(stop_rx),
            );
            shutdown_signal().await;
            let _ = stop.send(true);
            task.await?;
            Ok(())
        }
        Command::Migrate => {
            open_store(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Newsletter(cmd) => newsletter(&config, cmd).await,
        Command::Token(cmd) => token_command(&config, cmd).await,
    }
}

async fn newsletter(config: &Config, cmd: NewsletterCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match cmd {
        NewsletterCommand::Add {
            slug,
            name,
            description,
        } => {
            crate::routes::check_newsletter(&slug, &name, &description)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let n = store
                .create_newsletter(NewNewsletter {
                    slug: &slug,
                    name: name.trim(),
                    description: description.trim(),
                })
                .await
                .map_err(|e| match e {
                    Error::Conflict => anyhow::anyhow!("a newsletter with slug `{slug}` exists"),
                    e => e.into(),
                })?;
            println!("added newsletter {} ({})", n.slug, n.name);
        }
        NewsletterCommand::List => {
            for n in store.list_newsletters().await? {
                println!("{}\t{}\t{}", n.slug, n.name, n.description);
            }
        }
    }
    Ok(())
}

async fn token_command(config: &Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match cmd {
        TokenCommand::Create { name } => {
            let raw = token::generate();
            store
                .create_admin_token(&name, &token::hash(&raw))
                .await
                .map_err(|e| match e {
                    Error::Conflict => anyhow::anyhow!("a token named `{name}` exists"),
                    e => e.into(),
                })?;
            eprintln!("token `{name}` created; it is shown only this once:");
            println!("{raw}");
        }
        TokenCommand::List => {
            for t in store.list_admin_tokens().await? {
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
            store.revoke_admin_token(&name).await.map_err(|e| match e {
                Error::NotFound => anyhow::anyhow!("no token named `{name}`"),
                e => e.into(),
            })?;
            println!("token `{name}` revoked");
        }
    }
    Ok(())
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
