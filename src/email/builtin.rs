//! The built-in templates, compiled into the binary.

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
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
        "pages/news.html",
        include_str!("../../templates/pages/news.html"),
    ),
    (
        "pages/archive.html",
        include_str!("../../templates/pages/archive.html"),
    ),
    (
        "pages/archive_digest.html",
        include_str!("../../templates/pages/archive_digest.html"),
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
        "admin/suppressions.html",
        include_str!("../../templates/admin/suppressions.html"),
    ),
    (
        "admin/webhooks.html",
        include_str!("../../templates/admin/webhooks.html"),
    ),
    (
        "admin/webhook.html",
        include_str!("../../templates/admin/webhook.html"),
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

#[cfg(test)]
mod tests {
    use super::BUILTIN;

    /// Every template file under `templates/` is compiled in, so no page
    /// answers 500 for a template that only exists on disk. The console's
    /// static files are served by their own routes.
    #[test]
    fn every_template_file_is_built_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut stack = vec![root.clone()];
        let mut missing = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("templates folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path.strip_prefix(&root).expect("under root");
                let name = name.to_string_lossy().replace('\\', "/");
                let served_alone = ["README.md", "admin/console.css", "admin/console.js"];
                if !served_alone.contains(&name.as_str())
                    && !BUILTIN.iter().any(|(known, _)| *known == name)
                {
                    missing.push(name);
                }
            }
        }
        assert!(missing.is_empty(), "not built in: {missing:?}");
    }
}
