//! `herald newsletter`: add, list, and set a newsletter's schedule.

use crate::app::App;
use crate::cli::NewsletterCommand;
use crate::config::Config;
use crate::newsletters::{self, NewsletterBody};
use crate::startup::open_store;

/// `herald newsletter add|list|schedule`.
pub async fn newsletter(config: &Config, cmd: NewsletterCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match cmd {
        NewsletterCommand::Add {
            slug,
            name,
            description,
            language,
        } => {
            let app = App::new(
                std::sync::Arc::new(config.clone()),
                store.clone(),
                Default::default(),
            )
            .await?;
            let body = NewsletterBody {
                description: Some(description),
                language,
                ..Default::default()
            };
            let n = newsletters::create(&app, &slug, &name, &body)
                .await
                .map_err(|e| match e {
                    crate::app::Error::Conflict { .. } => {
                        anyhow::anyhow!("a newsletter with slug `{slug}` exists")
                    }
                    e => e.into_anyhow(),
                })?;
            println!("added newsletter {} ({})", n.slug, n.name);
        }
        NewsletterCommand::Schedule {
            slug,
            cron,
            zone,
            min_items,
            off,
        } => {
            let app = App::new(
                std::sync::Arc::new(config.clone()),
                store.clone(),
                Default::default(),
            )
            .await?;
            let change = crate::schedule::Change {
                schedule: Some(if off { None } else { cron }),
                timezone: zone.map(Some),
                min_items,
            };
            let n = crate::schedule::set(&app, &slug, &change)
                .await
                .map_err(|e| super::cli_error(e, &slug))?;
            match &n.schedule {
                None => println!("{}: no schedule", n.slug),
                Some(expr) => {
                    let zone = n
                        .timezone
                        .clone()
                        .unwrap_or_else(|| config.timezone.name().into());
                    println!(
                        "{}: \"{expr}\" in {zone}, at least {} new items",
                        n.slug, n.min_items
                    );
                    for t in crate::schedule::next_runs(&app, &n, 3) {
                        println!("  next: {}", t.to_rfc3339());
                    }
                }
            }
        }
        NewsletterCommand::List => {
            for n in store.list_newsletters().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    n.slug,
                    n.name,
                    n.language.as_deref().unwrap_or(config.language.code()),
                    n.description
                );
            }
        }
    }
    Ok(())
}
