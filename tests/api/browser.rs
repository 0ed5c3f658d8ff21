//! What only a real browser can show: the step navigator island hydrates and moves
//! between steps without reloading the page.

use fantoccini::Locator;

use crate::support::{repo_root, spawn_app_with_lessons, Browser};

#[tokio::test]
async fn step_navigation_works_in_place_after_hydration() {
    let app = spawn_app_with_lessons(&repo_root().join("tests/fixtures/lessons")).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&app.url("/lessons/basics/first-steps"))
        .await
        .unwrap();

    browser
        .wait_displayed(r#".step-navigator[data-hydrated="true"]"#, true)
        .await;
    browser.wait_displayed("#step-1", true).await;
    browser.wait_displayed("#step-2", false).await;

    // A full page load would lose this marker.
    page.execute("window.slipwayMarker = 'same page'; return null;", vec![])
        .await
        .unwrap();

    page.find(Locator::Css(".step-buttons .next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_displayed("#step-2", true).await;
    browser.wait_displayed("#step-1", false).await;
    assert!(page
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("?step=2"));
    assert!(page
        .find(Locator::Css(".step-position"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("Step 2 of 3"));

    page.find(Locator::Css(".step-list li:nth-child(3) a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_displayed("#step-3", true).await;

    page.back().await.unwrap();
    browser.wait_displayed("#step-2", true).await;
    browser.wait_displayed("#step-3", false).await;

    let marker = page
        .execute("return window.slipwayMarker;", vec![])
        .await
        .unwrap();
    assert_eq!(
        marker, "same page",
        "moving between steps must not reload the page"
    );
    browser.close().await;
}
