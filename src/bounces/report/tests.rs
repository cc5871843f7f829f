use super::*;

fn dsn_text(status: &str, action: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example\r\n\
         To: bounces+1-00@b.example\r\n\
         Subject: Undelivered Mail\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"XX\"\r\n\
         \r\n\
         --XX\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Your message could not be delivered.\r\n\
         --XX\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example\r\n\
         \r\n\
         Final-Recipient: rfc822; Reader@Example.org\r\n\
         Action: {action}\r\n\
         Status: {status}\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 no such\r\n  user here\r\n\
         --XX\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         Return-Path: <bounces+2a-abc@b.example>\r\n\
         Subject: Today\r\n\
         --XX--\r\n"
    )
}

#[test]
fn a_dsn_is_read() {
    let parsed = read(dsn_text("5.1.1", "failed").as_bytes());
    let Report::Dsn(rcpts) = parsed.report else {
        panic!("{parsed:?}")
    };
    assert_eq!(rcpts.len(), 1);
    let r = &rcpts[0];
    assert!(r.is_hard());
    assert!(r.names("reader@example.org"));
    assert_eq!(r.status, "5.1.1");
    assert_eq!(r.evidence(), "5.1.1 smtp; 550 5.1.1 no such user here");
    assert_eq!(
        parsed.original_return_path.as_deref(),
        Some("bounces+2a-abc@b.example")
    );
    let Report::Dsn(soft) = read(dsn_text("4.2.2", "delayed").as_bytes()).report else {
        panic!()
    };
    assert!(!soft[0].is_hard());
}

#[test]
fn an_arf_report_is_read() {
    let raw = "From: fbl@isp.example\r\n\
        To: bounces+1-00@b.example\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/report; report-type=feedback-report;\r\n\tboundary=\"B\"\r\n\
        \r\n\
        --B\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        This is an abuse report.\r\n\
        --B\r\n\
        Content-Type: message/feedback-report\r\n\
        \r\n\
        Feedback-Type: abuse\r\n\
        User-Agent: SomeGenerator/1.0\r\n\
        Version: 1\r\n\
        Original-Rcpt-To: <reader@example.org>\r\n\
        --B\r\n\
        Content-Type: message/rfc822\r\n\
        \r\n\
        Return-Path: <bounces+5-ff@b.example>\r\n\
        From: news@herald.test\r\n\
        Subject: Today\r\n\
        \r\n\
        Body\r\n\
        --B--\r\n";
    let parsed = read(raw.as_bytes());
    assert_eq!(
        parsed.report,
        Report::Feedback {
            feedback_type: "abuse".into(),
            original_rcpt_to: Some("reader@example.org".into())
        }
    );
    assert_eq!(
        parsed.original_return_path.as_deref(),
        Some("bounces+5-ff@b.example")
    );
}

#[test]
fn anything_else_is_other() {
    for raw in [
        &b""[..],
        b"\xff\xfe\x00garbage",
        b"Subject: hi\r\n\r\nplain text\r\n",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nnothing useful\r\n--x--\r\n",
        b"Content-Type: multipart/report; report-type=feedback-report; boundary=x\r\n\r\n--x--\r\n",
    ] {
        assert!(matches!(read(raw).report, Report::Other(_)), "{raw:?}");
    }
}
