//! The console's snippet: the whole form that works without script (with
//! the honeypot and `return_to`), and the script pinned by its hash. Posted
//! as a browser without JavaScript would, it signs the reader up and sends
//! them back to the article.

use super::*;
use crate::helpers::unique_email;

/// The `value` of the snippet's field `name`.
fn value_of(snippet: &str, name: &str) -> String {
    let at = snippet
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name} in {snippet}"));
    let tag_start = snippet[..at].rfind('<').unwrap();
    let tag = &snippet[tag_start..at + snippet[at..].find('>').unwrap()];
    match tag.find("value=\"") {
        Some(v) => tag[v + 7..].split('"').next().unwrap().to_string(),
        None => String::new(),
    }
}

#[tokio::test]
async fn the_snippet_holds_the_whole_form() {
    let app = news_app().await;
    let snippet = console_snippet(&app).await;
    let action = format!("action=\"{}/subscriptions\"", app.address);
    let script = format!(
        "<script src=\"{}/embed.js\" integrity=\"sha384-",
        app.address
    );
    for part in [
        "<form data-herald lang=\"en\"",
        "method=\"post\"",
        action.as_str(),
        "Enter your email to subscribe",
        "indicates required",
        "name=\"email\"",
        "name=\"website\"",
        "name=\"return_to\"",
        "data-herald-message aria-live=\"polite\"",
        script.as_str(),
        "crossorigin=\"anonymous\" defer></script>",
    ] {
        assert!(snippet.contains(part), "{part} missing from {snippet}");
    }
    assert!(!snippet.contains("style="), "{snippet}");
    assert_eq!(value_of(&snippet, "newsletter"), "daily");
    assert_eq!(value_of(&snippet, "website"), "");

    // A reader without JavaScript: the form as pasted, return_to filled in
    // by the site owner.
    let email = unique_email();
    let r = post(
        &app,
        Some("https://news.example"),
        "application/x-www-form-urlencoded",
        form(&[
            ("newsletter", &value_of(&snippet, "newsletter")),
            ("return_to", "https://news.example/2026/12/04/story"),
            ("email", &email),
            ("website", ""),
        ]),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        header(&r, "location").as_deref(),
        Some("https://news.example/2026/12/04/story?herald=pending")
    );
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn a_ukrainian_newsletter_gets_a_ukrainian_snippet() {
    let app = news_app().await;
    let r = crate::helpers::admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(serde_json::json!({ "language": "uk" })),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let snippet = console_snippet(&app).await;
    for part in [
        "<form data-herald lang=\"uk\"",
        "Введіть свою електронну адресу, щоб підписатися",
        "позначає обов’язкове поле",
        "Підписатися</button>",
    ] {
        assert!(snippet.contains(part), "{part} missing from {snippet}");
    }
}
