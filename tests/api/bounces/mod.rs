//! Bounces and complaints after the fact: VERP envelope senders, reports
//! mailed to the bounce listener (DSN, ARF), and the provider webhooks
//! (SES through SNS, Postmark). Shared helpers live here.

mod listener;
mod providers;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::helpers::{add_item, random_hex, send_digest, wait_digest_status, TestApp};

pub const DOMAIN: &str = "bounces.herald.test";

/// The suppressions the admin API lists.
pub async fn suppressions(app: &TestApp) -> Vec<Value> {
    let r = app.admin_get("/api/admin/suppressions").await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["suppressions"]
        .as_array()
        .unwrap()
        .clone()
}

/// The suppression of `email`, if any.
pub async fn suppression_of(app: &TestApp, email: &str) -> Option<Value> {
    suppressions(app)
        .await
        .into_iter()
        .find(|s| s["email"] == email)
}

/// Sends a digest of "daily" and waits until it is sent.
pub async fn digest_sent(app: &TestApp) {
    add_item(
        app,
        &format!("News {}", random_hex(6)),
        "https://news.example/n",
        "",
    )
    .await;
    let r = send_digest(app, "daily", None).await;
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    wait_digest_status(app, id, "sent").await;
}

/// A raw SMTP client, to see each reply.
pub struct Smtp {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Smtp {
    pub async fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (r, w) = stream.into_split();
        let mut s = Smtp {
            read: BufReader::new(r),
            write: w,
        };
        let greeting = s.reply().await;
        assert!(greeting.starts_with("220"), "{greeting}");
        s
    }

    /// One reply, all its lines.
    pub async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = self.read.read_line(&mut line).await.unwrap();
            assert!(n > 0, "the listener closed the connection after {all:?}");
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    pub async fn cmd(&mut self, line: &str) -> String {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }

    /// DATA with `body` (dot-stuffed here); the reply to its end.
    pub async fn data(&mut self, body: &str) -> String {
        let go = self.cmd("DATA").await;
        assert!(go.starts_with("354"), "{go}");
        let mut text = String::new();
        for line in body.replace("\r\n", "\n").split('\n') {
            if line.starts_with('.') {
                text.push('.');
            }
            text.push_str(line);
            text.push_str("\r\n");
        }
        text.push_str(".\r\n");
        self.write.write_all(text.as_bytes()).await.unwrap();
        self.reply().await
    }
}

/// Mails `body` to `rcpt` at the listener; the reply to the DATA.
pub async fn mail_report(port: u16, rcpt: &str, body: &str) -> String {
    let mut s = Smtp::connect(port).await;
    assert!(s.cmd("EHLO mx.example").await.starts_with("250"));
    assert!(s.cmd("MAIL FROM:<>").await.starts_with("250"));
    let r = s.cmd(&format!("RCPT TO:<{rcpt}>")).await;
    assert!(r.starts_with("250"), "{r}");
    let reply = s.data(body).await;
    s.cmd("QUIT").await;
    reply
}

/// A DSN (RFC 3464) about `recipient`, with the returned headers.
pub fn dsn(recipient: &str, action: &str, status: &str, return_path: &str) -> String {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n\
         To: <{return_path}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"b0UND\"\r\n\
         \r\n\
         --b0UND\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         I'm sorry to have to inform you that your message could not be delivered.\r\n\
         \r\n\
         --b0UND\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example\r\n\
         Arrival-Date: Sat, 5 Dec 2026 08:00:00 +0000\r\n\
         \r\n\
         Final-Recipient: rfc822; {recipient}\r\n\
         Original-Recipient: rfc822;{recipient}\r\n\
         Action: {action}\r\n\
         Status: {status}\r\n\
         Remote-MTA: dns; mx.example.org\r\n\
         Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address\r\n    rejected: User unknown\r\n\
         \r\n\
         --b0UND\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         Return-Path: <{return_path}>\r\n\
         From: Herald Test <news@herald.test>\r\n\
         Subject: Daily\r\n\
         \r\n\
         --b0UND--\r\n"
    )
}

/// An ARF abuse report (RFC 5965) about a message to `recipient`.
pub fn arf(recipient: &str, feedback_type: &str, return_path: &str) -> String {
    format!(
        "From: <feedback@isp.example>\r\n\
         To: <{return_path}>\r\n\
         Subject: FW: Daily\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"part1\"\r\n\
         \r\n\
         --part1\r\n\
         Content-Type: text/plain; charset=\"US-ASCII\"\r\n\
         \r\n\
         This is an email abuse report for an email message received from IP\r\n\
         192.0.2.1 on Sat, 5 Dec 2026 08:00:00 +0000.\r\n\
         \r\n\
         --part1\r\n\
         Content-Type: message/feedback-report\r\n\
         \r\n\
         Feedback-Type: {feedback_type}\r\n\
         User-Agent: SomeGenerator/1.0\r\n\
         Version: 1\r\n\
         Original-Mail-From: <{return_path}>\r\n\
         Original-Rcpt-To: <{recipient}>\r\n\
         Arrival-Date: Sat, 5 Dec 2026 08:00:00 +0000\r\n\
         \r\n\
         --part1\r\n\
         Content-Type: message/rfc822\r\n\
         Content-Disposition: inline\r\n\
         \r\n\
         Return-Path: <{return_path}>\r\n\
         From: <news@herald.test>\r\n\
         To: <{recipient}>\r\n\
         Subject: Daily\r\n\
         \r\n\
         The digest.\r\n\
         \r\n\
         --part1--\r\n"
    )
}
