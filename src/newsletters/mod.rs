//! Newsletters: create, change, archive, list, and look up by slug. The
//! API, the console and `herald newsletter` all come here.

mod cache;

pub use cache::NewsletterCache;

use serde::{Deserialize, Deserializer};

use crate::app::{App, Error, Result};
use crate::domain::{Language, NewsletterFields, NewsletterSlug, RawNewsletterFields};
use crate::schedule;
use crate::store::{self, NewNewsletter, Newsletter};

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A newsletter to create (`slug` and `name` required) or the fields to
/// change (`null` clears an optional one).
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct NewsletterBody {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub from_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub from_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub reply_to: Option<Option<String>>,
    /// The subject of its digests; by default its name and the date.
    #[serde(default, deserialize_with = "nullable")]
    pub digest_subject: Option<Option<String>>,
    /// The welcome email's subject (with `welcome_body`, or neither).
    #[serde(default, deserialize_with = "nullable")]
    pub welcome_subject: Option<Option<String>>,
    /// The welcome email's body, in Markdown (HTML in it is shown as text).
    #[serde(default, deserialize_with = "nullable")]
    pub welcome_body: Option<Option<String>>,
    /// A cron expression (5 fields, or 6 with seconds first) to send
    /// digests on; `null` stops it.
    #[serde(default, deserialize_with = "nullable")]
    pub schedule: Option<Option<String>>,
    /// The schedule's IANA zone; `null` means `HERALD_TIMEZONE`.
    #[serde(default, deserialize_with = "nullable")]
    pub timezone: Option<Option<String>>,
    /// How many new items a scheduled slot needs (1-100, default 1).
    #[schema(minimum = 1, maximum = 100)]
    pub min_items: Option<i32>,
    /// The language of its pages and emails: `en` or `uk` (default
    /// `HERALD_LANGUAGE`).
    #[schema(example = "uk")]
    pub language: Option<String>,
    /// Whether its sent digests are on public pages (default `true`).
    pub public_archive: Option<bool>,
}

impl NewsletterBody {
    /// The schedule fields of the body.
    fn schedule_change(&self) -> schedule::Change {
        schedule::Change {
            schedule: self.schedule.clone(),
            timezone: self.timezone.clone(),
            min_items: self.min_items,
        }
    }
}

fn slug(raw: &str) -> Result<NewsletterSlug> {
    NewsletterSlug::parse(raw).map_err(|m| Error::invalid("invalid_slug", m))
}

fn parse_language(raw: Option<&str>) -> Result<Option<Language>> {
    raw.map(Language::parse)
        .transpose()
        .map_err(|r| Error::invalid(r.code, r.message))
}

/// A newsletter as the API and console show it: its next scheduled run,
/// and its language even when it follows `HERALD_LANGUAGE`.
fn shown(app: &App, n: Newsletter) -> Newsletter {
    let mut n = schedule::with_next_run(app, n);
    n.language
        .get_or_insert_with(|| app.config.language.code().to_string());
    n
}

fn store_form<'a>(
    slug: &'a str,
    f: &'a NewsletterFields,
    language: Option<Language>,
    public_archive: bool,
) -> NewNewsletter<'a> {
    NewNewsletter {
        language: language.map(Language::code),
        public_archive,
        slug,
        name: &f.name,
        description: &f.description,
        from_name: f.from_name.as_deref(),
        from_address: f.from_address.as_deref(),
        reply_to: f.reply_to.as_deref(),
        digest_subject: f.digest_subject.as_deref(),
        welcome_subject: f.welcome_subject.as_deref(),
        welcome_body: f.welcome_body.as_deref(),
    }
}

/// Adds a newsletter named `name` at `slug`, with the other fields of `b`.
pub async fn create(
    app: &App,
    slug_raw: &str,
    name: &str,
    b: &NewsletterBody,
) -> Result<Newsletter> {
    let slug = slug(slug_raw)?;
    let fields = NewsletterFields::parse(RawNewsletterFields {
        name,
        description: b.description.as_deref().unwrap_or_default(),
        from_name: b.from_name.as_ref().and_then(Option::as_deref),
        from_address: b.from_address.as_ref().and_then(Option::as_deref),
        reply_to: b.reply_to.as_ref().and_then(Option::as_deref),
        digest_subject: b.digest_subject.as_ref().and_then(Option::as_deref),
        welcome_subject: b.welcome_subject.as_ref().and_then(Option::as_deref),
        welcome_body: b.welcome_body.as_ref().and_then(Option::as_deref),
    })?;
    let lang = parse_language(b.language.as_deref())?;
    let change = b.schedule_change();
    let checked = (!change.is_empty())
        .then(|| schedule::check(app, &change, (None, None, 1)))
        .transpose()?;
    let created = app
        .store
        .create_newsletter(store_form(
            slug.as_str(),
            &fields,
            lang,
            b.public_archive.unwrap_or(true),
        ))
        .await
        .map_err(|e| match e {
            store::Error::Conflict => {
                Error::conflict("slug_taken", "a newsletter with this slug exists")
            }
            e => e.into(),
        })?;
    match checked {
        Some(c) => Ok(shown(app, schedule::apply(app, slug.as_str(), &c).await?)),
        None => Ok(shown(app, created)),
    }
}

/// Changes the fields given; `null` clears an optional one. The slug stays.
pub async fn update(app: &App, slug: &str, b: &NewsletterBody) -> Result<Newsletter> {
    if b.slug.as_deref().is_some_and(|s| s != slug) {
        return Err(Error::invalid(
            "invalid_slug",
            "a newsletter's slug cannot change",
        ));
    }
    let lang = parse_language(b.language.as_deref())?;
    let change = b.schedule_change();
    if !change.is_empty() && app.store.is_archived(slug).await? {
        return Err(Error::conflict(
            "archived",
            "an archived newsletter has no schedule",
        ));
    }
    let current = app.store.newsletter_by_slug(slug).await?;
    let checked = (!change.is_empty())
        .then(|| {
            schedule::check(
                app,
                &change,
                (
                    current.schedule.clone(),
                    current.timezone.clone(),
                    current.min_items,
                ),
            )
        })
        .transpose()?;
    let pick = |given: &Option<Option<String>>, now: &Option<String>| -> Option<String> {
        given.clone().unwrap_or_else(|| now.clone())
    };
    let (from_name, from_address, reply_to, digest_subject) = (
        pick(&b.from_name, &current.from_name),
        pick(&b.from_address, &current.from_address),
        pick(&b.reply_to, &current.reply_to),
        pick(&b.digest_subject, &current.digest_subject),
    );
    let (welcome_subject, welcome_body) = (
        pick(&b.welcome_subject, &current.welcome_subject),
        pick(&b.welcome_body, &current.welcome_body),
    );
    let fields = NewsletterFields::parse(RawNewsletterFields {
        name: b.name.as_deref().unwrap_or(&current.name),
        description: b.description.as_deref().unwrap_or(&current.description),
        from_name: from_name.as_deref(),
        from_address: from_address.as_deref(),
        reply_to: reply_to.as_deref(),
        digest_subject: digest_subject.as_deref(),
        welcome_subject: welcome_subject.as_deref(),
        welcome_body: welcome_body.as_deref(),
    })?;
    if let Some(c) = &checked {
        schedule::apply(app, slug, c).await?;
    }
    let lang = match lang {
        Some(l) => Some(l),
        None => parse_language(current.language.as_deref()).unwrap_or(None),
    };
    let public_archive = b.public_archive.unwrap_or(current.public_archive);
    let updated = app
        .store
        .update_newsletter(slug, store_form(slug, &fields, lang, public_archive))
        .await?;
    app.newsletters.clear();
    Ok(shown(app, updated))
}

/// Archives: no more signups, not listed; history is kept.
pub async fn archive(app: &App, slug: &str) -> Result<()> {
    app.store.archive_newsletter(slug).await?;
    app.newsletters.clear();
    Ok(())
}

/// Every newsletter that is not archived.
pub async fn list(app: &App) -> Result<Vec<Newsletter>> {
    let all = app.store.list_newsletters().await?;
    Ok(all.into_iter().map(|n| shown(app, n)).collect())
}

/// The language of the newsletter at `slug` (briefly cached, for public
/// pages); `HERALD_LANGUAGE` for one that doesn't exist.
pub async fn language(app: &App, slug: &str) -> Result<Language> {
    match app.newsletters.get(&app.store, slug).await {
        Ok(n) => Ok(n.lang(app.config.language)),
        Err(store::Error::NotFound) => Ok(app.config.language),
        Err(e) => Err(e.into()),
    }
}

/// One newsletter (not archived) by slug.
pub async fn get(app: &App, slug: &str) -> Result<Newsletter> {
    let n = app.store.newsletter_by_slug(slug).await?;
    Ok(shown(app, n))
}

/// The newsletter's welcome email as a reader would see it (HTML, with
/// sample links), or `None` when it has none.
pub async fn welcome_preview(app: &App, slug: &str) -> Result<Option<String>> {
    let n = app.store.newsletter_by_slug(slug).await?;
    let Some(m) =
        crate::email::welcome_message(&app.templates, &app.config, "reader@example.com", &n)?
    else {
        return Ok(None);
    };
    let (unsubscribe, manage) = (
        app.links.sample_unsubscribe_url(),
        app.links.sample_manage_url(),
    );
    let links = crate::email::PersonalLinks {
        unsubscribe: &unsubscribe,
        manage: &manage,
    };
    Ok(Some(crate::email::personalise("", &m.body_html, &links).1))
}

/// Newsletter slugs to ids, sorted and distinct; 422 for one that doesn't exist.
pub async fn ids_for_slugs(app: &App, slugs: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        match app.store.newsletter_by_slug(slug).await {
            Ok(n) => ids.push(n.id),
            Err(store::Error::NotFound) => {
                return Err(Error::invalid(
                    "unknown_newsletter",
                    format!("there is no newsletter `{}`", slug.escape_debug()),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
