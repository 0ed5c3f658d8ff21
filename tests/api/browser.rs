//! What only a real browser can show: the islands hydrate, steps change without a page
//! load, and the terminals are real shells a learner types into.

use std::time::Duration;

use fantoccini::Locator;

use crate::support::{repo_root, spawn_app_with_lessons, wait_for, Browser};

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

/// The text xterm.js shows in a node's terminal (its DOM renderer draws rows as text).
async fn terminal_text(browser: &Browser, node: &str) -> String {
    let css = format!(r#".terminal[data-node="{node}"] .xterm-rows"#);
    match browser.client.find(Locator::Css(&css)).await {
        Ok(rows) => rows.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn wait_for_terminal_text(browser: &Browser, node: &str, wanted: &str) {
    wait_for(
        &format!("{wanted:?} in {node}'s terminal"),
        Duration::from_secs(30),
        || async { terminal_text(browser, node).await.contains(wanted) },
    )
    .await;
}

#[tokio::test]
async fn a_learner_types_into_a_node_terminal_and_runs_a_code_block_by_clicking_it() {
    let app = spawn_app_with_lessons(&repo_root().join("tests/fixtures/lessons")).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&app.url("/lessons/basics/first-steps"))
        .await
        .unwrap();
    browser
        .wait_displayed(r#".terminal-panel[data-phase="absent"] button.start"#, true)
        .await;
    page.find(Locator::Css("button.start"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_displayed(
            r#".node-tab[data-node="node1"] .node-state[data-state="connected"]"#,
            true,
        )
        .await;
    wait_for_terminal_text(&browser, "node1", "node1:").await;

    page.find(Locator::Css(r#".terminal[data-node="node1"] textarea"#))
        .await
        .unwrap()
        .send_keys("echo typed-$((6*7))\n")
        .await
        .unwrap();
    wait_for_terminal_text(&browser, "node1", "typed-42").await;

    // Step 2's block runs on node2: a click there switches to node2's tab and runs it.
    page.find(Locator::Css(".step-buttons .next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.find(Locator::Css(r#"#step-2 .code-block.runnable pre"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_displayed(r#".node-tab.active[data-node="node2"]"#, true)
        .await;
    wait_for_terminal_text(&browser, "node2", "node2:~# hostname").await;

    // A reload finds the same sandbox and the same shell, screen replayed.
    page.refresh().await.unwrap();
    browser
        .wait_displayed(
            r#".node-tab[data-node="node1"] .node-state[data-state="connected"]"#,
            true,
        )
        .await;
    wait_for_terminal_text(&browser, "node1", "typed-42").await;
    browser.close().await;
}
