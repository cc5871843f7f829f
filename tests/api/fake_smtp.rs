//! A scriptable SMTP server for fault injection: the test decides the reply
//! to each RCPT, and every attempt and delivery is recorded. The ordinary
//! suite uses the real capture server; this one exists to misbehave.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The reply to `RCPT TO` for a recipient's `attempt` (1-based). A reply of
/// `250 HANG` accepts the recipient and then never answers the end of
/// DATA; `250 CLOSE` drops the connection there instead.
pub type Script = Arc<dyn Fn(&str, usize) -> String + Send + Sync>;

#[derive(Default)]
pub struct Log {
    /// When each recipient was tried, in order.
    pub attempts: HashMap<String, Vec<Instant>>,
    /// Accepted messages per recipient.
    pub delivered: HashMap<String, usize>,
    /// Each accepted message per recipient: its envelope sender and data.
    pub messages: HashMap<String, Vec<(String, String)>>,
}

pub struct FakeSmtp {
    pub url: String,
    pub log: Arc<Mutex<Log>>,
}

impl FakeSmtp {
    pub async fn start(script: Script) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Log::default()));
        tokio::spawn(serve(listener, script, log.clone()));
        FakeSmtp { url, log }
    }

    pub fn attempts(&self, rcpt: &str) -> Vec<Instant> {
        self.log
            .lock()
            .unwrap()
            .attempts
            .get(rcpt)
            .cloned()
            .unwrap_or_default()
    }

    pub fn delivered(&self, rcpt: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .delivered
            .get(rcpt)
            .copied()
            .unwrap_or(0)
    }

    /// The messages accepted for `rcpt`: envelope sender and raw data.
    pub fn messages(&self, rcpt: &str) -> Vec<(String, String)> {
        self.log
            .lock()
            .unwrap()
            .messages
            .get(rcpt)
            .cloned()
            .unwrap_or_default()
    }

    /// When each delivery was accepted is not kept; attempts are enough.
    pub fn all_attempts(&self) -> Vec<Instant> {
        let mut all: Vec<Instant> = self
            .log
            .lock()
            .unwrap()
            .attempts
            .values()
            .flatten()
            .copied()
            .collect();
        all.sort();
        all
    }
}

async fn serve(listener: TcpListener, script: Script, log: Arc<Mutex<Log>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let (script, log) = (script.clone(), log.clone());
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            let mut accepted: Vec<String> = Vec::new();
            let mut after_data: Option<&'static str> = None;
            let mut mail_from = String::new();
            if write.write_all(b"220 fake.test ESMTP\r\n").await.is_err() {
                return;
            }
            while let Ok(Some(line)) = lines.next_line().await {
                let upper = line.to_ascii_uppercase();
                let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                    "250 fake.test".to_string()
                } else if upper.starts_with("MAIL FROM") {
                    accepted.clear();
                    mail_from = line
                        .split(['<', '>'])
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    "250 2.1.0 OK".to_string()
                } else if upper.starts_with("RCPT TO") {
                    let rcpt = line
                        .split(['<', '>'])
                        .nth(1)
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    let attempt = {
                        let mut log = log.lock().unwrap();
                        let a = log.attempts.entry(rcpt.clone()).or_default();
                        a.push(Instant::now());
                        a.len()
                    };
                    let reply = script(&rcpt, attempt);
                    if reply == "250 HANG" {
                        after_data = Some("hang");
                    } else if reply == "250 CLOSE" {
                        after_data = Some("close");
                    }
                    if reply.starts_with('2') {
                        accepted.push(rcpt);
                    }
                    reply
                } else if upper.starts_with("DATA") {
                    if accepted.is_empty() {
                        "503 5.5.1 no valid recipients".to_string()
                    } else {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(l.strip_prefix('.').unwrap_or(&l));
                            data.push_str("\r\n");
                        }
                        match after_data.take() {
                            Some("hang") => {
                                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                                return;
                            }
                            Some(_) => return,
                            None => {}
                        }
                        let mut log = log.lock().unwrap();
                        for r in accepted.drain(..) {
                            *log.delivered.entry(r.clone()).or_default() += 1;
                            let m = (mail_from.clone(), data.clone());
                            log.messages.entry(r).or_default().push(m);
                        }
                        "250 2.0.0 queued".to_string()
                    }
                } else if upper.starts_with("RSET") {
                    accepted.clear();
                    "250 2.0.0 OK".to_string()
                } else if upper.starts_with("QUIT") {
                    let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
                    return;
                } else {
                    "250 OK".to_string()
                };
                if write
                    .write_all(format!("{reply}\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}
