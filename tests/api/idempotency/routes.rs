//! Each of the five routes: a repeat, another body, bad keys, a race.

use futures_util::future::join_all;

use super::{answer, case, code, count, new_key, post, Route, SLUG};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_repeat_answers_as_the_first_time_without_doing_it_again() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    for route in Route::ALL {
        let c = case(route);
        let key = new_key();
        let before = count(&app, route, SLUG).await;
        let first = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert!(matches!(first.0, 200 | 201), "{route:?}: {first:?}");
        assert!(!first.2, "{route:?}: the first answer is no replay");
        let again = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert_eq!((again.0, &again.1), (first.0, &first.1), "{route:?}");
        assert!(again.2, "{route:?}: the repeat is marked as a replay");
        assert_eq!(
            count(&app, route, SLUG).await,
            before + route.creates(),
            "{route:?}: created once"
        );
    }
}

#[tokio::test]
async fn a_repeat_without_a_key_does_it_again() {
    // The counterpart of the test above: the same body without a key is
    // done twice, so the replay there is the key's doing.
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    for route in Route::ALL {
        let c = case(route);
        let first = answer(post(&app, &c, None, &c.body).await).await;
        let again = answer(post(&app, &c, None, &c.body).await).await;
        assert_ne!((again.0, &again.1), (first.0, &first.1), "{route:?}");
    }
}

#[tokio::test]
async fn the_key_with_another_body_is_refused_and_does_nothing() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    for route in Route::ALL {
        let c = case(route);
        let key = new_key();
        let before = count(&app, route, SLUG).await;
        let first = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert!(matches!(first.0, 200 | 201), "{route:?}: {first:?}");
        let other = answer(post(&app, &c, Some(&key), &c.other_body).await).await;
        assert_eq!(other.0, 422, "{route:?}: {other:?}");
        assert_eq!(code(&other.1), "idempotency_key_reused", "{route:?}");
        assert_eq!(
            count(&app, route, SLUG).await,
            before + route.creates(),
            "{route:?}: the other body created nothing"
        );
        // The key still answers its own request.
        let again = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert_eq!((again.0, &again.1), (first.0, &first.1), "{route:?}");
    }
}

#[tokio::test]
async fn bad_keys_are_refused_and_do_nothing() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    let too_long = vec![b'k'; 201];
    let bad: [&[u8]; 5] = [b"", b"a b", &too_long, "café".as_bytes(), b"\xff\xfe"];
    for route in Route::ALL {
        let c = case(route);
        let before = count(&app, route, SLUG).await;
        for key in bad {
            let (status, body, _) = answer(post(&app, &c, Some(key), &c.body).await).await;
            assert_eq!(status, 422, "{route:?} {key:?}: {body}");
            assert_eq!(code(&body), "invalid_idempotency_key", "{route:?} {key:?}");
        }
        assert_eq!(count(&app, route, SLUG).await, before, "{route:?}");
        // The longest key there may be is fine.
        let longest = vec![b'k'; 200];
        let (status, body, _) = answer(post(&app, &c, Some(&longest), &c.body).await).await;
        assert!(matches!(status, 200 | 201), "{route:?}: {body}");
    }
}

#[tokio::test]
async fn racing_requests_with_one_key_do_it_once_and_answer_alike() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    for route in Route::ALL {
        let c = case(route);
        let key = new_key();
        let before = count(&app, route, SLUG).await;
        let racing =
            (0..8).map(|_| async { answer(post(&app, &c, Some(&key), &c.body).await).await });
        let answers = join_all(racing).await;
        let (status, body, _) = &answers[0];
        assert!(matches!(status, 200 | 201), "{route:?}: {body}");
        for a in &answers {
            assert_eq!((&a.0, &a.1), (status, body), "{route:?}");
        }
        let done = answers.iter().filter(|a| !a.2).count();
        assert_eq!(done, 1, "{route:?}: one request did the work");
        assert_eq!(
            count(&app, route, SLUG).await,
            before + route.creates(),
            "{route:?}: created once"
        );
    }
}
