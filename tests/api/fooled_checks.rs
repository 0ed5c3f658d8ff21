//! The checks issue 15 found fooled, each rehearsed again with its old text: the step's
//! `mistake` block must fool the old check (so the mistake really is the case that was
//! missed), while the lesson rehearsal (`slipway lessons test`) proves the new check
//! holds against the same mistake. The old texts are in tests/fixtures/fooled-checks.

use std::time::Duration;

use slipway::checks::rehearsal::{self, LessonVerdict, StepVerdict};
use slipway::lessons;

use crate::support::{repo_root, sandboxes};

/// Rehearses `lesson` of the swarm track up to its step `title`, whose check is the old
/// one in `fixture`: the earlier steps must hold, and a mistake must fool the old check.
async fn old_check_is_fooled(lesson: &str, title: &str, fixture: &str) {
    let catalog = lessons::load(&repo_root().join("lessons"));
    let track = catalog
        .tracks
        .iter()
        .find(|t| t.slug == "docker-swarm")
        .expect("the swarm track");
    let mut lesson = track
        .lessons
        .iter()
        .find(|l| l.slug == lesson)
        .unwrap_or_else(|| panic!("no lesson {lesson}"))
        .clone();
    let index = lesson
        .steps
        .iter()
        .position(|s| s.title == title)
        .unwrap_or_else(|| panic!("no step {title:?}"));
    assert!(
        !lesson.steps[index].mistakes.is_empty(),
        "step {title:?} has a mistake block"
    );
    let old = std::fs::read_to_string(
        repo_root()
            .join("tests/fixtures/fooled-checks")
            .join(fixture),
    )
    .unwrap();
    lesson.steps.truncate(index + 1);
    // Only this step's mistakes are on trial; the earlier ones only slow the run.
    for earlier in &mut lesson.steps[..index] {
        earlier.mistakes.clear();
    }
    lesson.steps[index]
        .check
        .as_mut()
        .expect("the step has a check")
        .source = old;

    let engine = sandboxes().await;
    let name = format!("docker-swarm/{}", lesson.slug);
    let report = rehearsal::rehearse(&engine, &name, &lesson, Duration::from_secs(60)).await;
    let LessonVerdict::Ran(steps) = &report.verdict else {
        panic!("{name} did not run: {:?}", report.verdict);
    };
    for step in &steps[..index] {
        assert!(
            matches!(
                step.verdict,
                StepVerdict::Proven { .. } | StepVerdict::NoCheck
            ),
            "{}: {:?}",
            step.title,
            step.verdict
        );
    }
    let verdict = &steps[index].verdict;
    assert!(
        matches!(verdict, StepVerdict::Broken(why) if why.contains("it can be fooled")),
        "the old check of {title:?} should be fooled by its mistake: {verdict:?}"
    );
    println!("figure: old check of {name} \"{title}\" fooled by its mistake: {verdict:?}");
}

#[tokio::test]
async fn roll_back() {
    old_check_is_fooled("services-and-tasks", "Roll back", "rollback.sh").await;
}

#[tokio::test]
async fn kill_a_container() {
    old_check_is_fooled(
        "healing",
        "Kill a container behind the swarm's back",
        "kill-a-container.sh",
    )
    .await;
}

#[tokio::test]
async fn lose_a_node() {
    old_check_is_fooled("healing", "Lose a node", "lose-a-node.sh").await;
}

#[tokio::test]
async fn publish_a_port() {
    old_check_is_fooled(
        "overlay-networking",
        "Publish a port through the routing mesh",
        "publish-a-port.sh",
    )
    .await;
}

#[tokio::test]
async fn scale_through_the_file() {
    old_check_is_fooled(
        "stacks",
        "Look around, then scale through the file",
        "scale-through-the-file.sh",
    )
    .await;
}

#[tokio::test]
async fn pin_the_cache() {
    old_check_is_fooled("stacks", "Pin the cache to the manager", "pin-the-cache.sh").await;
}
