//! minijinja templates: the defaults are compiled into the binary, and a file
//! of the same relative path in `HERALD_TEMPLATES_DIR` overrides one.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::{Environment, Value};
use serde::Serialize;

/// The built-in templates, by name.
const BUILTIN: &[(&str, &str)] = &[
    (
        "pages/base.html",
        include_str!("../../templates/pages/base.html"),
    ),
    (
        "pages/index.html",
        include_str!("../../templates/pages/index.html"),
    ),
    (
        "pages/newsletter.html",
        include_str!("../../templates/pages/newsletter.html"),
    ),
    (
        "pages/pending.html",
        include_str!("../../templates/pages/pending.html"),
    ),
    (
        "pages/confirm.html",
        include_str!("../../templates/pages/confirm.html"),
    ),
    (
        "pages/confirmed.html",
        include_str!("../../templates/pages/confirmed.html"),
    ),
    (
        "pages/unsubscribe.html",
        include_str!("../../templates/pages/unsubscribe.html"),
    ),
    (
        "pages/unsubscribed.html",
        include_str!("../../templates/pages/unsubscribed.html"),
    ),
    (
        "pages/manage.html",
        include_str!("../../templates/pages/manage.html"),
    ),
    (
        "pages/manage_saved.html",
        include_str!("../../templates/pages/manage_saved.html"),
    ),
    (
        "pages/manage_request.html",
        include_str!("../../templates/pages/manage_request.html"),
    ),
    (
        "email/welcome/subject.txt",
        include_str!("../../templates/email/welcome/subject.txt"),
    ),
    (
        "email/welcome/body.txt",
        include_str!("../../templates/email/welcome/body.txt"),
    ),
    (
        "email/welcome/body.html",
        include_str!("../../templates/email/welcome/body.html"),
    ),
    (
        "email/manage/subject.txt",
        include_str!("../../templates/email/manage/subject.txt"),
    ),
    (
        "email/manage/body.txt",
        include_str!("../../templates/email/manage/body.txt"),
    ),
    (
        "email/manage/body.html",
        include_str!("../../templates/email/manage/body.html"),
    ),
    (
        "pages/error.html",
        include_str!("../../templates/pages/error.html"),
    ),
    (
        "admin/base.html",
        include_str!("../../templates/admin/base.html"),
    ),
    (
        "admin/sign_in.html",
        include_str!("../../templates/admin/sign_in.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../../templates/admin/dashboard.html"),
    ),
    (
        "admin/newsletters.html",
        include_str!("../../templates/admin/newsletters.html"),
    ),
    (
        "admin/newsletter.html",
        include_str!("../../templates/admin/newsletter.html"),
    ),
    (
        "admin/subscribers.html",
        include_str!("../../templates/admin/subscribers.html"),
    ),
    (
        "admin/subscriber.html",
        include_str!("../../templates/admin/subscriber.html"),
    ),
    (
        "admin/feeds.html",
        include_str!("../../templates/admin/feeds.html"),
    ),
    (
        "admin/digest_next.html",
        include_str!("../../templates/admin/digest_next.html"),
    ),
    (
        "admin/digest_confirm.html",
        include_str!("../../templates/admin/digest_confirm.html"),
    ),
    (
        "admin/password.html",
        include_str!("../../templates/admin/password.html"),
    ),
    (
        "admin/digest.html",
        include_str!("../../templates/admin/digest.html"),
    ),
    (
        "admin/snippet.html",
        include_str!("../../templates/admin/snippet.html"),
    ),
    (
        "email/confirm/subject.txt",
        include_str!("../../templates/email/confirm/subject.txt"),
    ),
    (
        "email/confirm/body.txt",
        include_str!("../../templates/email/confirm/body.txt"),
    ),
    (
        "email/confirm/body.html",
        include_str!("../../templates/email/confirm/body.html"),
    ),
    (
        "email/digest/subject.txt",
        include_str!("../../templates/email/digest/subject.txt"),
    ),
    (
        "email/digest/body.txt",
        include_str!("../../templates/email/digest/body.txt"),
    ),
    (
        "email/digest/body.html",
        include_str!("../../templates/email/digest/body.html"),
    ),
    // Not an email: the news sites' signup script, served as /embed.js.
    ("embed.js", include_str!("../../templates/embed.js")),
];

/// A rendered email, before it becomes a MIME message.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Shared, cheap to clone. Autoescaping is on for `.html` files; `.js`
/// files write every `{{ value }}` as a JSON literal.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Templates {
    /// Checks at start that every template (built-in or overridden) parses,
    /// so a broken override fails the start rather than a signup.
    pub fn new(override_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let safe = !name.split('/').any(|part| part == ".." || part.is_empty());
                let path = dir.join(name);
                if safe && path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, src)| (*src).to_string()))
        });
        env.add_global("site_name", "Herald");
        // Escape what HTML needs (& < > " '), but leave `/` alone, so links
        // stay readable in mail sources and spam filters' eyes.
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() {
                if let Some(s) = value.as_str() {
                    return out
                        .write_str(&html_escape::encode_quoted_attribute(s))
                        .map_err(minijinja::Error::from);
                }
            }
            minijinja::escape_formatter(out, state, value)
        });
        for (name, _) in BUILTIN {
            env.get_template(name)
                .map_err(|e| anyhow::anyhow!("template {name}: {e:#}"))?;
        }
        Ok(Self { env: Arc::new(env) })
    }

    pub fn render(&self, name: &str, ctx: impl Serialize) -> anyhow::Result<String> {
        let tmpl = self.env.get_template(name)?;
        Ok(tmpl.render(Value::from_serialize(ctx))?)
    }

    /// Renders `email/<name>/{subject.txt,body.txt,body.html}`.
    pub fn render_email(&self, name: &str, ctx: impl Serialize) -> anyhow::Result<RenderedEmail> {
        let ctx = Value::from_serialize(ctx);
        let subject = self.render(&format!("email/{name}/subject.txt"), &ctx)?;
        Ok(RenderedEmail {
            // One line: a template can't smuggle a second header in.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: self.render(&format!("email/{name}/body.txt"), &ctx)?,
            html: self.render(&format!("email/{name}/body.html"), &ctx)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_confirmation_has_link_and_no_markup_leaks() {
        let t = Templates::new(None).unwrap();
        let e = t
            .render_email(
                "confirm",
                json!({"newsletters": [{"name": "Daily <b>"}], "confirm_url": "http://x/c?token=abc", "expires_in": "48 hours"}),
            )
            .unwrap();
        assert!(e.subject.contains("Daily <b>"), "{}", e.subject);
        assert!(e.text.contains("http://x/c?token=abc"));
        assert!(e.html.contains("Daily &lt;b&gt;"));
        assert!(!e.html.contains("Daily <b>"));
    }

    #[test]
    fn override_folder_wins() {
        let dir = std::env::temp_dir().join(format!("herald-tmpl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("email/confirm")).unwrap();
        std::fs::write(
            dir.join("email/confirm/subject.txt"),
            "Custom {{ expires_in }}",
        )
        .unwrap();
        let t = Templates::new(Some(dir.clone())).unwrap();
        let e = t
            .render_email(
                "confirm",
                json!({"newsletters": [{"name": "D"}], "confirm_url": "u", "expires_in": "1 hour"}),
            )
            .unwrap();
        assert_eq!(e.subject, "Custom 1 hour");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
