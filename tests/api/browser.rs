//! What only a real browser can show: the islands hydrate, steps change without a page
//! load, and the terminals are real shells a learner types into.

use std::path::Path;
use std::time::Duration;

use fantoccini::Locator;

use serde_json::json;

use crate::support::{
    files_lessons, fixture_lessons, lessons_dir, sign_in_instructor, spawn_app_with,
    spawn_app_with_lessons, wait_for, Browser, Learner, TestApp, TestTerminal, INSTRUCTOR_PASSWORD,
};

#[tokio::test]
async fn step_navigation_works_in_place_after_hydration() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
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
        Duration::from_secs(60),
        || async { terminal_text(browser, node).await.contains(wanted) },
    )
    .await;
}

#[tokio::test]
async fn a_learner_types_into_a_node_terminal_and_runs_a_code_block_by_clicking_it() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    open_with_a_sandbox(&browser, &app, "/lessons/basics/first-steps").await;
    wait_for_terminal_text(&browser, "node1", "node1:").await;

    type_in_node1(&browser, "echo typed-$((6*7))", "typed-42").await;

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

    // A paste past the server's 64 KiB message limit goes in frames the server takes:
    // the program reads all of it, and the terminal stays connected. (Its echo fills
    // the replay, so it comes after the reload.)
    // Pasted only once the command runs, as a learner pastes: until its output shows,
    // the shell's line editor may still be reading the terminal.
    type_in_node1(
        &browser,
        "echo reading-$((6*7)); head -c $((96*1024)) | wc -c",
        "reading-42",
    )
    .await;
    let paste: String = (1..=1536)
        .map(|n| format!("{n:06} {}\n", "x".repeat(56)))
        .collect();
    paste_in_node1(&browser, &paste).await;
    wait_for_terminal_text(&browser, "node1", "98304").await;
    browser.close().await;
}

/// Opens a lesson page and starts its sandbox, once the page offers to.
async fn open_with_a_sandbox(browser: &Browser, app: &TestApp, path: &str) {
    browser.client.goto(&app.url(path)).await.unwrap();
    browser
        .wait_displayed(r#".terminal-panel[data-phase="absent"] button.start"#, true)
        .await;
    start_sandbox(browser).await;
}

/// Presses Start sandbox and waits until node1's terminal is connected.
async fn start_sandbox(browser: &Browser) {
    browser.click("button.start").await;
    browser
        .wait_displayed(
            r#".node-tab[data-node="node1"] .node-state[data-state="connected"]"#,
            true,
        )
        .await;
}

/// Types `command` into node1's terminal, runs it, and waits for `marker` on screen.
async fn type_in_node1(browser: &Browser, command: &str, marker: &str) {
    browser
        .client
        .find(Locator::Css(r#".terminal[data-node="node1"] textarea"#))
        .await
        .expect("node1's terminal")
        .send_keys(&format!("{command}\n"))
        .await
        .expect("keys typed");
    wait_for_terminal_text(browser, "node1", marker).await;
}

/// Pastes `text` into node1's terminal, as the clipboard would.
async fn paste_in_node1(browser: &Browser, text: &str) {
    const PASTE: &str = r#"
        const [text] = arguments;
        const area = document.querySelector('.terminal[data-node="node1"] textarea');
        const data = new DataTransfer();
        data.setData("text/plain", text);
        area.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    "#;
    browser
        .client
        .execute(PASTE, vec![json!(text)])
        .await
        .expect("pasted");
}

/// Does the fixture lesson's first step in node1's terminal, presses Check, and waits
/// for the pass.
async fn do_step_one_and_pass_its_check(browser: &Browser) {
    type_in_node1(
        browser,
        "docker node ls > nodes.txt && echo saved-$((40+2))",
        "saved-42",
    )
    .await;
    browser.click(".check-bar button.check").await;
    browser
        .wait_displayed(r#".check-result[data-result="passed"]"#, true)
        .await;
}

#[tokio::test]
async fn check_fails_before_the_step_is_done_and_passes_after_and_the_step_list_shows_it() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    page.goto(&app.url("/lessons/basics/first-steps"))
        .await
        .unwrap();
    browser
        .wait_displayed(r#".step-navigator[data-hydrated="true"]"#, true)
        .await;

    // Before the sandbox starts, Check explains what to do first.
    browser.click(".check-bar button.check").await;
    browser
        .wait_displayed(r#".check-result[data-result="refused"]"#, true)
        .await;
    assert!(browser
        .text_of(".check-result")
        .await
        .contains("Start your sandbox first"));

    start_sandbox(&browser).await;

    browser.click(".check-bar button.check").await;
    browser
        .wait_displayed(r#".check-result[data-result="failed"]"#, true)
        .await;
    assert!(
        browser
            .text_of(".check-result .reason")
            .await
            .contains("No node list in /root/nodes.txt yet"),
        "the check's own words"
    );

    // A hint, then the solution, revealed in place.
    browser.click("button.reveal-hint").await;
    browser.wait_displayed(".hints .hint", true).await;
    assert!(browser.text_of(".hints").await.contains("docker node ls"));
    assert!(browser
        .text_of("button.reveal-hint")
        .await
        .contains("2 of 2"));
    browser.click("button.reveal-solution").await;
    browser.wait_displayed(".solution .code-block", true).await;
    assert!(browser
        .text_of(".solution")
        .await
        .contains("docker node ls > /root/nodes.txt"));

    do_step_one_and_pass_its_check(&browser).await;
    browser
        .wait_displayed(".step-list li.passed:nth-child(1)", true)
        .await;

    // Progress is the server's: a reload still shows the step done.
    page.refresh().await.unwrap();
    browser
        .wait_displayed(r#".step-navigator[data-hydrated="true"]"#, true)
        .await;
    browser
        .wait_displayed(".step-list li.passed:nth-child(1)", true)
        .await;
    browser
        .wait_displayed(r#".check-bar[data-passed="true"] .check-done"#, true)
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_quiz_says_why_a_choice_is_wrong_passes_on_the_right_one_and_unlocks_the_next() {
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&app.url("/lessons/checks/quiz"))
        .await
        .unwrap();
    browser
        .wait_displayed(r#".step-navigator[data-hydrated="true"]"#, true)
        .await;
    // No sandbox is needed: a quiz is answered on the page.
    browser
        .wait_displayed(r#".quiz[data-step="0"] .quiz-answer:disabled"#, true)
        .await;
    browser
        .click(r#".quiz-choice[data-choice="0"] input[type="radio"]"#)
        .await;
    browser.click(".quiz-answer").await;
    browser
        .wait_displayed(
            r#".quiz-choice[data-choice="0"][data-wrong="true"] .quiz-why"#,
            true,
        )
        .await;
    assert_eq!(
        browser.text_of(".quiz-why").await,
        "That lists the containers of one engine."
    );
    browser.screenshot("quiz-wrong").await;
    assert!(browser
        .text_of(".check-result .reason")
        .await
        .contains("Not quite"));
    browser
        .wait_displayed(".step-list li.locked:nth-child(2)", true)
        .await;

    browser
        .click(r#".quiz-choice[data-choice="1"] input"#)
        .await;
    browser.click(".quiz-answer").await;
    browser
        .wait_displayed(r#".check-result[data-result="passed"]"#, true)
        .await;
    assert!(browser
        .text_of(".check-result")
        .await
        .contains("It asks a manager, which knows every node."));
    browser
        .wait_displayed(".step-list li.passed:nth-child(1)", true)
        .await;

    // The second step's quiz takes several choices, and is open now.
    browser.click(".step-buttons .next").await;
    browser
        .wait_displayed(r#".quiz[data-step="1"][data-multiple="true"]"#, true)
        .await;
    browser
        .click(r#".quiz-choice[data-choice="0"] input[type="checkbox"]"#)
        .await;
    browser.click(".quiz-answer").await;
    browser
        .wait_displayed(r#".check-result[data-result="failed"]"#, true)
        .await;
    assert!(browser
        .text_of(".check-result .reason")
        .await
        .contains("one more choice is right too"));
    browser
        .click(r#".quiz-choice[data-choice="1"] input"#)
        .await;
    browser.click(".quiz-answer").await;
    browser
        .wait_displayed(".step-list li.passed:nth-child(2)", true)
        .await;
    browser.screenshot("quiz-passed").await;
    browser.close().await;
}

#[tokio::test]
async fn check_the_room_shows_the_preflight_line_by_line_to_its_verdict() {
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    // Signed in through the API first, which creates the account the page signs in to.
    let teacher = sign_in_instructor(&app, "grace").await;
    let created = teacher.create_workshop(&app, "Checked", "checks", 1).await;
    let browser = Browser::start().await;
    browser
        .sign_in_as_instructor(&app.url("/instructor"), "grace")
        .await;
    let room = format!("/instructor/workshops/{}", created["id"].as_str().unwrap());
    browser.client.goto(&app.url(&room)).await.unwrap();
    browser.wait_displayed("button.check-room", true).await;
    browser.click("button.check-room").await;
    browser
        .wait_displayed(r#".preflight-line[data-state="running"]"#, true)
        .await;
    browser
        .wait_displayed(r#".preflight[data-done="true"] .preflight-summary"#, true)
        .await;
    // The fixture's second step waits for nothing on purpose: its rehearsal is red.
    assert!(
        browser
            .text_of(".preflight-summary")
            .await
            .contains("Not ready"),
        "{}",
        browser.text_of(".preflight").await
    );
    assert!(browser
        .text_of(r#".preflight-line[data-state="failed"] .preflight-fix"#)
        .await
        .contains("slipway lessons test --only checks/files"));
    browser.screenshot("preflight").await;
    browser.close().await;
}

#[tokio::test]
async fn the_room_replays_a_learners_recorded_terminal_and_seeks_to_their_check() {
    let app = spawn_app_with(&files_lessons(), |_| {}).await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = teacher.create_workshop(&app, "Replayed", "checks", 2).await;
    let ada = Learner::default();
    ada.join_workshop(&app, &workshop["join_code"], "Ada").await;
    let sandbox = ada
        .start_sandbox(&app, json!({ "lesson": "checks/files" }))
        .await;
    let mut shell = TestTerminal::open(&app.base, &sandbox, "node1", &ada.cookie(&app), None)
        .await
        .expect("Ada's terminal");
    shell.type_keys("echo replayed-$((6*7))\r").await;
    shell
        .read_until(0, "replayed-42", Duration::from_secs(30))
        .await;
    let check = ada
        .post(
            &app,
            &format!("/api/sandboxes/{sandbox}/check"),
            json!({ "lesson": "checks/files", "step": 0 }),
        )
        .await;
    assert_eq!(check.status(), 200);

    let browser = Browser::start().await;
    browser
        .sign_in_as_instructor(&app.url("/instructor"), "grace")
        .await;
    let room = format!("/instructor/workshops/{}", workshop["id"].as_str().unwrap());
    browser.client.goto(&app.url(&room)).await.unwrap();
    browser.wait_displayed("tr.learner", true).await;
    browser.click("tr.learner").await;
    browser.click("button.load-replay").await;
    browser.wait_displayed("button.play-recording", true).await;
    assert!(browser
        .text_of("button.play-recording")
        .await
        .contains("1 check(s)"));
    browser.click("button.play-recording").await;
    browser
        .wait_displayed(r#".replay-player[data-player="ready"] .ap-player"#, true)
        .await;
    // The check's marker seeks the player to it: by then the screen shows the command.
    browser.click(".replay-marks button.seek").await;
    wait_for(
        "the replay to show Ada's command",
        Duration::from_secs(30),
        || async {
            browser
                .text_of(".replay-player")
                .await
                .contains("replayed-42")
        },
    )
    .await;
    browser
        .client
        .execute(
            "document.querySelector('.replay').scrollIntoView()",
            Vec::new(),
        )
        .await
        .expect("scrolled");
    browser.screenshot("replay").await;
    browser.close().await;
}

#[tokio::test]
async fn the_instructors_grid_shows_a_learner_passing_a_step_without_a_reload() {
    let app = spawn_app_with_lessons(&fixture_lessons()).await;
    a_workshop_in_two_browsers(&app.base, &app.database).await;
}

/// The instructor signs in and creates a workshop through the pages, a learner joins
/// with its code and passes the fixture lesson's first step, and the instructor's grid
/// shows it without a reload: every island, driven as people use them. The server at
/// `base` (with its database at `database`) serves `tests/fixtures/lessons`.
pub async fn a_workshop_in_two_browsers(base: &str, database: &Path) {
    let url = |path: &str| format!("{base}{path}");
    let store = slipway::store::Store::open(database).await.unwrap();
    slipway::instructors::Instructors::new(store)
        .add("grace", INSTRUCTOR_PASSWORD)
        .await
        .unwrap();

    let teacher = Browser::start().await;
    teacher
        .sign_in_as_instructor(&url("/instructor"), "grace")
        .await;
    teacher
        .fill(".new-workshop input[name=title]", "Meetup night")
        .await;
    teacher.click(".new-workshop button[type=submit]").await;
    teacher.wait_displayed(".join-code strong", true).await;
    let code = teacher.text_of(".join-code strong").await;
    assert_eq!(code.len(), 6, "a join code: {code:?}");

    // The join card, for the projector: the same code, big, and a QR code.
    let room = teacher.client.current_url().await.unwrap();
    teacher.client.goto(&format!("{room}/card")).await.unwrap();
    teacher
        .wait_displayed(r#".join-card[data-ready="true"] .join-qr svg"#, true)
        .await;
    assert_eq!(teacher.text_of(".join-card .join-code-big").await, code);
    assert!(teacher
        .text_of(".join-card .join-url")
        .await
        .ends_with(&format!("/join/{code}")));
    teacher.screenshot("join-card").await;
    teacher.client.goto(room.as_str()).await.unwrap();
    teacher.wait_displayed(".join-code strong", true).await;

    // A learner joins with the code and does the first step.
    let learner = Browser::start().await;
    learner
        .client
        .goto(&url(&format!("/join/{code}")))
        .await
        .unwrap();
    learner
        .wait_displayed(r#".join-form[data-ready="true"]"#, true)
        .await;
    learner.fill(".join-form input[name=name]", "Ada").await;
    learner.click(".join-form button[type=submit]").await;
    learner
        .wait_displayed(r#".step-navigator[data-hydrated="true"]"#, true)
        .await;
    assert!(learner
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/lessons/basics/first-steps"));
    wait_for(
        "Ada in the instructor's grid",
        Duration::from_secs(60),
        || async {
            teacher
                .text_of(".room-grid tr.learner td.name")
                .await
                .contains("Ada")
        },
    )
    .await;
    // The header counts them too, without a reload (it said 0/30 until one).
    let count = teacher.text_of(".room-head .learner-count").await;
    assert!(
        count.contains("1/30 learners"),
        "the header says: {count:?}"
    );

    start_sandbox(&learner).await;
    do_step_one_and_pass_its_check(&learner).await;

    // The instructor's grid shows it, live.
    teacher
        .wait_displayed(".room-grid tr.learner td.cell.passed", true)
        .await;
    // And how the learner's typing echoed, and whose the time was.
    wait_for(
        "the learner's keystrokes in the room's echo line",
        Duration::from_secs(30),
        || async {
            teacher
                .text_of(".room-echo")
                .await
                .contains("Slipway's own part")
        },
    )
    .await;
    teacher.screenshot("room-grid").await;
    assert!(teacher
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/instructor/workshops/"));
    learner.close().await;
    teacher.close().await;
}

#[tokio::test]
async fn a_queued_learners_terminals_connect_by_themselves_when_room_frees() {
    let lessons = fixture_lessons();
    let app = spawn_app_with(&lessons, |config| config.limits.max_sandboxes = 1).await;
    let teacher = sign_in_instructor(&app, "grace").await;
    let workshop = teacher
        .create_workshop(&app, "Full house", "basics", 10)
        .await;
    let code = workshop["join_code"].as_str().unwrap();

    // Ada holds the host's only place.
    let ada = Learner::default();
    let joined = ada
        .post(
            &app,
            "/api/workshops/join",
            json!({ "code": code, "name": "Ada" }),
        )
        .await;
    assert_eq!(joined.status(), 200);
    let adas = ada
        .start_sandbox(&app, json!({ "lesson": "basics/first-steps" }))
        .await;

    // Bo joins in the browser, presses Start, and is told his place.
    let browser = Browser::start().await;
    browser
        .client
        .goto(&app.url(&format!("/join/{code}")))
        .await
        .unwrap();
    browser
        .wait_displayed(r#".join-form[data-ready="true"]"#, true)
        .await;
    browser.fill(".join-form input[name=name]", "Bo").await;
    browser.click(".join-form button[type=submit]").await;
    browser
        .wait_displayed(r#".terminal-panel[data-phase="absent"] button.start"#, true)
        .await;
    browser.click("button.start").await;
    browser
        .wait_displayed(r#".terminal-panel[data-phase="queued"] .queued"#, true)
        .await;
    assert!(browser
        .text_of(".terminal-panel .queued")
        .await
        .contains("number 1 in the queue"));

    // Ada is done: Bo's terminal connects with no click from him.
    ada.delete_sandbox(&app, &adas).await;
    browser
        .wait_displayed(
            r#".node-tab[data-node="node1"] .node-state[data-state="connected"]"#,
            true,
        )
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_fault_blocks_buttons_freeze_the_node_and_thaw_it_and_say_so() {
    let lessons = lessons_dir(
        "faults",
        &[(
            "01-freeze.md",
            "---\ntitle: Freeze\nsummary: A node stops answering.\nminutes: 5\nsandbox:\n  kind: single\n---\n\n\
             ## Freeze node1\n\n```fault node=node1 fault=pause\nnode1 hangs\n```\n",
        )],
    );
    let app = spawn_app_with_lessons(lessons.path()).await;
    let browser = Browser::start().await;
    open_with_a_sandbox(&browser, &app, "/lessons/faults/freeze").await;
    let status = ".fault-block .fault-status";
    browser.click(".fault-block button.fault-do").await;
    wait_for(
        "the fault block to say node1 is frozen",
        Duration::from_secs(30),
        || async { browser.text_of(status).await == "node1 is frozen." },
    )
    .await;
    browser.click(".fault-block button.fault-undo").await;
    wait_for(
        "the fault block to say node1 runs",
        Duration::from_secs(30),
        || async { browser.text_of(status).await == "node1 runs again." },
    )
    .await;
    browser.close().await;
}

#[tokio::test]
async fn catch_me_up_does_the_earlier_step_and_the_step_list_shows_it_skipped() {
    let lessons = lessons_dir(
        "catch",
        &[(
            "01-files.md",
            "---\ntitle: Files\nsummary: Make files.\nminutes: 5\nsandbox:\n  kind: single\n---\n\n\
             ## Make a\n\n```check\n[ -f /tmp/a ] || { echo \"no /tmp/a\"; exit 1; }\n```\n\n\
             ```solution\ntouch /tmp/a\n```\n\n## Then look\n\n```check\ntrue\n```\n",
        )],
    );
    let app = spawn_app_with_lessons(lessons.path()).await;
    let browser = Browser::start().await;
    open_with_a_sandbox(&browser, &app, "/lessons/catch/files?step=2").await;
    browser.click(".catch-up-ask").await;
    browser.click(".catch-up-go").await;
    wait_for(
        "Catch me up to say it is done",
        Duration::from_secs(120),
        || async {
            browser.text_of(".catch-up").await
                == "Your sandbox is fresh and step 1 is done for you."
        },
    )
    .await;
    browser
        .wait_displayed(".step-list li.skipped:nth-child(1)", true)
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_service_published_in_the_terminal_shows_as_a_chip_that_opens_it() {
    let lessons = lessons_dir(
        "previews",
        &[(
            "01-publish.md",
            "---\ntitle: Publish\nsummary: A web port.\nminutes: 5\nsandbox:\n  kind: single\n---\n\n\
             ## Publish a site\n\nRun it:\n\n\
             ```sh\ndocker swarm init --advertise-addr $(hostname -i) && docker service create --name site --publish mode=host,target=8000,published=8000 python:3.12.7-slim python3 -m http.server 8000\n```\n",
        )],
    );
    let app = spawn_app_with_lessons(lessons.path()).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    open_with_a_sandbox(&browser, &app, "/lessons/previews/publish").await;
    wait_for_terminal_text(&browser, "node1", "node1:").await;
    // No chip before the service; it appears without a reload once the service runs.
    browser.wait_displayed(".port-chips", false).await;
    page.find(Locator::Css("#step-1 .code-block.runnable pre"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_displayed(r#".port-chip[data-port="8000"]"#, true)
        .await;
    browser.screenshot("port-chips").await;
    // The label and Copy never cover the long command: they sit above it.
    let overlap = page
        .execute(
            "const block = document.querySelector('#step-1 .code-block');\
             const actions = block.querySelector('.code-actions').getBoundingClientRect();\
             const code = block.querySelector('pre').getBoundingClientRect();\
             return actions.bottom > code.top + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overlap,
        json!(false),
        "the code block's label covers its code"
    );

    // The chip opens the site in a new tab, through Slipway.
    let href = page
        .find(Locator::Css(r#".port-chip[data-port="8000"]"#))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .expect("the chip links somewhere");
    assert!(href.ends_with("/nodes/node1/ports/8000/"), "{href}");
    let lesson_tab = page.window().await.unwrap();
    browser.click(r#".port-chip[data-port="8000"]"#).await;
    wait_for("a second tab", Duration::from_secs(10), || async {
        page.windows().await.map(|w| w.len()).unwrap_or(0) == 2
    })
    .await;
    let tabs = page.windows().await.unwrap();
    let preview_tab = tabs.into_iter().find(|w| *w != lesson_tab).unwrap();
    page.switch_to_window(preview_tab).await.unwrap();
    wait_for(
        "the site's listing in the new tab",
        Duration::from_secs(30),
        || async {
            browser
                .text_of("h1")
                .await
                .contains("Directory listing for /")
        },
    )
    .await;

    // A WebSocket from the page, through the preview, to an echo server on the node.
    let sandbox = href
        .split("/sandboxes/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();
    let app_py =
        std::fs::read_to_string(crate::support::repo_root().join("tests/fixtures/previews/app.py"))
            .unwrap();
    let (code, output) = crate::support::sh_node1(
        &sandbox,
        &format!(
            "cat > /root/app.py <<'APP'\n{app_py}\nAPP\n\
             docker run -d -p 8765:8765 -v /root/app.py:/app.py python:3.12.7-slim python3 /app.py 8765 >/dev/null"
        ),
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let echo = format!("/sandboxes/{sandbox}/nodes/node1/ports/8765/echo");
    wait_for(
        "the echo server to answer",
        Duration::from_secs(60),
        || async {
            let answer = page
                .execute_async(
                    "const [path, done] = arguments;\
                 const socket = new WebSocket(location.origin.replace('http', 'ws') + path);\
                 socket.onopen = () => socket.send('hello through the preview');\
                 socket.onmessage = (event) => { done(event.data); socket.close(); };\
                 socket.onerror = () => done('error');",
                    vec![json!(echo)],
                )
                .await;
            answer.is_ok_and(|a| a == json!("hello through the preview"))
        },
    )
    .await;

    // A closed port says so, at once; a stranger (no cookies) gets a 404.
    page.goto(&app.url(&format!("/sandboxes/{sandbox}/nodes/node1/ports/9999/")))
        .await
        .unwrap();
    let said = browser.text_of(".reason").await;
    assert!(said.contains("Nothing listens on node1:9999"), "{said}");
    browser.screenshot("preview-closed-port").await;
    page.delete_all_cookies().await.unwrap();
    page.goto(&href).await.unwrap();
    let body = browser.text_of("body").await;
    assert!(body.contains(&format!("no sandbox {sandbox}")), "{body}");
    browser.close().await;
}

#[tokio::test]
async fn a_file_block_opens_in_the_editor_and_a_save_reaches_the_node_but_never_over_a_change() {
    let lessons = lessons_dir(
        "editing",
        &[(
            "01-stack.md",
            "---\ntitle: Stack\nsummary: A stack file.\nminutes: 5\nsandbox:\n  kind: single\n---\n\n\
             ## Write the stack file\n\nClick to write it:\n\n\
             ```file path=~/stack.yml node=node1\nservices:\n  web:\n    image: nginx:1.27.2\n```\n",
        )],
    );
    let app = spawn_app_with_lessons(lessons.path()).await;
    let browser = Browser::start().await;
    let page = &browser.client;
    open_with_a_sandbox(&browser, &app, "/lessons/editing/stack").await;
    wait_for_terminal_text(&browser, "node1", "node1:").await;

    browser.click("#step-1 .file-block pre").await;
    browser.wait_displayed(".editor-pane", true).await;
    wait_for(
        "stack.yml open in the editor",
        Duration::from_secs(30),
        || async {
            browser.text_of(".editor-title").await == "node1: ~/stack.yml"
                && browser
                    .text_of(".editor .cm-content")
                    .await
                    .contains("image: nginx:1.27.2")
        },
    )
    .await;
    assert!(browser.text_of(".file-list").await.contains("stack.yml"));
    assert!(browser
        .text_of(".file-block .file-status")
        .await
        .starts_with("Wrote ~/stack.yml on node1"));

    // Typed in the editor (the cursor starts at the top), saved, read back in the terminal.
    let content = page
        .find(Locator::Css(".editor .cm-content"))
        .await
        .unwrap();
    content.send_keys("# edited in the editor\n").await.unwrap();
    wait_for(
        "the title to mark unsaved changes",
        Duration::from_secs(10),
        || async { browser.text_of(".editor-title").await.ends_with('•') },
    )
    .await;
    browser.screenshot("editor").await;
    browser.click(".editor-head .save").await;
    wait_for("the save", Duration::from_secs(30), || async {
        browser.text_of(".editor-status").await == "Saved stack.yml."
    })
    .await;
    browser.click(".view-switch .show-terminal").await;
    type_in_node1(
        &browser,
        "cat ~/stack.yml | head -2; echo read-$((2+2))",
        "read-4",
    )
    .await;
    assert!(terminal_text(&browser, "node1")
        .await
        .contains("# edited in the editor"));

    // A change in the terminal after opening: the editor's save is refused, nothing lost.
    type_in_node1(
        &browser,
        "echo '# from the terminal' >> ~/stack.yml; echo appended-$((3+3))",
        "appended-6",
    )
    .await;
    browser.click(".view-switch .show-editor").await;
    page.find(Locator::Css(".editor .cm-content"))
        .await
        .unwrap()
        .send_keys("# second edit\n")
        .await
        .unwrap();
    browser.click(".editor-head .save").await;
    wait_for(
        "the conflict to be reported",
        Duration::from_secs(30),
        || async {
            browser
                .text_of(".editor-status")
                .await
                .contains("changed on the node since you opened it")
        },
    )
    .await;
    assert!(browser
        .text_of(".editor .cm-content")
        .await
        .contains("# second edit"));
    browser.click(".view-switch .show-terminal").await;
    type_in_node1(&browser, "grep -c 'second edit' ~/stack.yml; grep -c 'from the terminal' ~/stack.yml; echo counted-$((4+4))", "counted-8").await;
    let screen = terminal_text(&browser, "node1").await;
    assert!(
        screen.contains("0\n1\ncounted-8")
            || screen.contains("01counted-8")
            || screen.contains("0 1 counted-8"),
        "{screen}"
    );

    // The projector setting: the terminal's text grows, and the editor's with it.
    let font_size = |css: &'static str| async move {
        page.execute(
            "return getComputedStyle(document.querySelector(arguments[0])).fontSize;",
            vec![json!(css)],
        )
        .await
        .unwrap()
    };
    let terminal_font = font_size(r#".terminal[data-node="node1"] .xterm-rows"#).await;
    page.find(Locator::Css("select.text-size"))
        .await
        .unwrap()
        .select_by_value("projector")
        .await
        .unwrap();
    wait_for(
        "the editor's projector size",
        Duration::from_secs(10),
        || async { font_size(".editor .cm-editor").await == json!("24px") },
    )
    .await;
    assert_ne!(
        font_size(r#".terminal[data-node="node1"] .xterm-rows"#).await,
        terminal_font
    );
    browser.screenshot("terminal-projector").await;
    browser.close().await;
}
