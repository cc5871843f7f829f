//! The bounce listener: VERP envelope senders, DSNs and ARF reports mailed
//! to it, and what it refuses.

use serde_json::Value;

use super::*;
use crate::helpers::{
    add_confirmed, emails_to, free_port, spawn_app_with, unique_email, wait_for_emails,
};

/// An app with a bounce domain and listener, "daily" and two confirmed
/// readers who got one digest: the listener's port, the readers and the
/// first reader's VERP address.
async fn with_a_sent_digest() -> (TestApp, u16, [String; 2], String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let app = spawn_app_with(&[("bounce_domain", DOMAIN), ("bounce_listen", &listen)]).await;
    app.add_newsletter("daily", "Daily").await;
    let readers = [unique_email(), unique_email()];
    for r in &readers {
        add_confirmed(&app, "daily", r).await;
    }
    digest_sent(&app).await;
    let mail = wait_for_emails(&readers[0], 1).await;
    let verp = mail[0]["envelope"]["from"]["address"]
        .as_str()
        .unwrap()
        .to_string();
    (app, port, readers, verp)
}

#[tokio::test]
async fn a_dsn_for_a_delivery_suppresses_its_address_and_the_next_digest_skips_it() {
    let (app, port, [reader, other], verp) = with_a_sent_digest().await;
    // The envelope sender is the signed VERP address; From is unchanged and
    // the token holds no part of the address.
    let local = reader.split('@').next().unwrap();
    assert!(
        verp.starts_with("bounces+") && verp.ends_with(&format!("@{DOMAIN}")),
        "{verp}"
    );
    assert!(!verp.contains(local), "{verp}");
    assert!(verp.len() < 70, "{verp}");
    let first = &emails_to(&reader).await[0];
    assert_eq!(first["from"][0]["address"], "news@herald.test");
    let other_verp = emails_to(&other).await[0]["envelope"]["from"]["address"].clone();
    assert_ne!(
        other_verp,
        Value::from(verp.clone()),
        "one token per delivery"
    );

    // A temporary failure is read and changes nothing.
    let reply = mail_report(port, &verp, &dsn(&reader, "delayed", "4.2.2", &verp)).await;
    assert!(reply.starts_with("250"), "{reply}");
    assert!(suppression_of(&app, &reader).await.is_none());

    let reply = mail_report(port, &verp, &dsn(&reader, "failed", "5.1.1", &verp)).await;
    assert!(reply.starts_with("250"), "{reply}");
    let s = suppression_of(&app, &reader).await.expect("suppressed");
    assert_eq!(s["reason"], "hard_bounce", "{s}");
    assert_eq!(s["source"], "dsn", "{s}");
    let evidence = s["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("5.1.1") && evidence.contains("User unknown"),
        "{s}"
    );
    assert_eq!(
        app.status_of("daily", &reader).await.as_deref(),
        Some("bounced")
    );
    assert!(suppression_of(&app, &other).await.is_none());

    digest_sent(&app).await;
    wait_for_emails(&other, 2).await;
    assert_eq!(emails_to(&reader).await.len(), 1, "no second digest");
}

#[tokio::test]
async fn an_arf_abuse_report_suppresses_as_complained() {
    let (app, port, [reader, other], verp) = with_a_sent_digest().await;
    // Another feedback type is read and changes nothing.
    let reply = mail_report(port, &verp, &arf(&reader, "not-spam", &verp)).await;
    assert!(reply.starts_with("250"), "{reply}");
    assert!(suppression_of(&app, &reader).await.is_none());
    // A feedback loop mails its reports to an address of its own: the
    // token is found in the returned message's Return-Path.
    let fbl = format!("fbl@{DOMAIN}");
    let reply = mail_report(port, &fbl, &arf(&reader, "abuse", &verp)).await;
    assert!(reply.starts_with("250"), "{reply}");
    let s = suppression_of(&app, &reader).await.expect("suppressed");
    assert_eq!(s["reason"], "complained", "{s}");
    assert_eq!(s["source"], "arf", "{s}");
    assert_eq!(
        app.status_of("daily", &reader).await.as_deref(),
        Some("complained")
    );
    assert_eq!(
        app.status_of("daily", &other).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn the_listener_refuses_what_it_should_and_keeps_working() {
    let (app, port, [reader, _], verp) = with_a_sent_digest().await;
    let mut s = Smtp::connect(port).await;
    assert!(s.cmd("EHLO mx.example").await.contains("SIZE 1048576"));
    assert!(s.cmd("AUTH PLAIN AGFiAGM=").await.starts_with("502"));
    assert!(s.cmd(&format!("RCPT TO:<{verp}>")).await.starts_with("503"));
    assert!(s.cmd("MAIL FROM:<>").await.starts_with("250"));
    // No relaying: other domains, even ones that end like ours.
    for other in [
        "someone@example.org".to_string(),
        format!("bounces@evil{DOMAIN}"),
        format!("x@{DOMAIN}.evil.example"),
    ] {
        let r = s.cmd(&format!("RCPT TO:<{other}>")).await;
        assert!(r.starts_with("550"), "{other}: {r}");
    }
    assert!(s.cmd(&format!("RCPT TO:<{verp}>")).await.starts_with("250"));
    let second = s.cmd(&format!("RCPT TO:<postmaster@{DOMAIN}>")).await;
    assert!(second.starts_with("452"), "{second}");
    // Over the size limit: said up front, or found while reading.
    assert!(s.cmd("RSET").await.starts_with("250"));
    let r = s.cmd("MAIL FROM:<> SIZE=2000000").await;
    assert!(r.starts_with("552"), "{r}");
    assert!(s.cmd("MAIL FROM:<>").await.starts_with("250"));
    assert!(s.cmd(&format!("RCPT TO:<{verp}>")).await.starts_with("250"));
    let big = dsn(&reader, "failed", "5.1.1", &verp) + &("x".repeat(998) + "\n").repeat(1100);
    let r = s.data(&big).await;
    assert!(r.starts_with("552"), "{r}");
    assert!(
        s.cmd("NOOP").await.starts_with("250"),
        "the session goes on"
    );
    assert!(suppression_of(&app, &reader).await.is_none());

    // Malformed reports and a forged token are accepted and dropped.
    let forged = {
        let (token, domain) = verp.split_once('@').unwrap();
        let last = token.chars().last().unwrap();
        let flipped = if last == '0' { '1' } else { '0' };
        format!("{}{flipped}@{domain}", &token[..token.len() - 1])
    };
    for (rcpt, body) in [
        (verp.clone(), "this is not a message at all".to_string()),
        (verp.clone(), "Subject: hi\r\n\r\nA plain message.".to_string()),
        (
            verp.clone(),
            "Content-Type: multipart/report; report-type=delivery-status; boundary=q\r\n\r\n--q\r\nContent-Type: message/delivery-status\r\n\r\n\x00\u{1f4a5}\r\n--q"
                .to_string(),
        ),
        (forged.clone(), dsn(&reader, "failed", "5.1.1", &forged)),
        (format!("postmaster@{DOMAIN}"), dsn(&reader, "failed", "5.1.1", "")),
    ] {
        let r = mail_report(port, &rcpt, &body).await;
        assert!(r.starts_with("250"), "{r}");
    }
    assert!(suppressions(&app).await.is_empty(), "nothing changed");

    // A connection gets a bounded number of commands.
    let mut s = Smtp::connect(port).await;
    let mut answered = 0;
    let last = loop {
        let r = s.cmd("NOOP").await;
        if !r.starts_with("250") || answered > 60 {
            break r;
        }
        answered += 1;
    };
    assert!(last.starts_with("421"), "{last}");
    assert_eq!(answered, 50);

    // Still listening, and a real report still counts.
    let r = mail_report(port, &verp, &dsn(&reader, "failed", "5.2.1", &verp)).await;
    assert!(r.starts_with("250"), "{r}");
    let s = suppression_of(&app, &reader).await.expect("suppressed");
    assert_eq!(s["reason"], "hard_bounce");
}

#[tokio::test]
async fn outbox_mail_shows_its_bounce_address_as_return_path() {
    let outbox = std::env::temp_dir().join(format!("herald-outbox-{}", random_hex(12)));
    let app = spawn_app_with(&[
        ("smtp_url", ""),
        ("outbox_dir", outbox.to_str().unwrap()),
        ("bounce_domain", DOMAIN),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    app.signup(&reader, &["daily"]).await;
    app.wait_queue_drained().await;
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::remove_dir_all(&outbox).unwrap();
    let first = raw.lines().next().unwrap();
    assert!(
        first.starts_with("Return-Path: <bounces+") && first.ends_with(&format!("@{DOMAIN}>")),
        "{first}"
    );
    assert!(
        !first.contains(reader.split('@').next().unwrap()),
        "{first}"
    );
    let from = raw.lines().find(|l| l.starts_with("From: ")).unwrap();
    assert!(from.ends_with("<news@herald.test>"), "{from}");
}
