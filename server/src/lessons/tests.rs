//! The lesson parser and loader on good and bad input: every problem, with its line.

use std::path::Path;
use std::time::Duration;

use super::*;
use app::model::Template;

const SWARM: &str = "---\ntitle: A swarm\nsummary: Make one.\nminutes: 10\nsandbox:\n  kind: swarm\n  managers: 1\n  workers: 2\n---\n";

fn parse(body: &str) -> Result<Lesson, LessonError> {
    parse_lesson(
        Path::new("lessons/01-t/01-l.md"),
        "l",
        &format!("{SWARM}{body}"),
    )
}

/// The problem and the line (counted in the whole file) of a lesson that must not parse.
fn problem(body: &str) -> (usize, String) {
    let error = parse(body).expect_err("the lesson should be refused");
    assert!(
        error.to_string().starts_with("lessons/01-t/01-l.md:"),
        "{error}"
    );
    (error.line, error.problem.to_string())
}

/// The first body line is file line 10, after the 9 lines of front matter.
const FIRST: usize = 10;

#[test]
fn a_full_lesson_parses_into_steps_blocks_checks_hints_and_solutions() {
    let lesson = parse(
        "Welcome to *swarm*.\n\n## Start the swarm\n\nRun this on the manager:\n\n```sh\ndocker swarm init\n```\n\n\
         ```yaml\nkey: value\n```\n\n```bash node=node2 norun\ndocker info\n```\n\nThen look.\n\n\
         ```check node=node1 timeout=30\ndocker node ls\n```\n\n```hint\nUse `docker swarm init`.\n```\n\n\
         ```hint\nReally.\n```\n\n```solution\ndocker swarm init\n```\n\n## Read about nodes\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    )
    .unwrap();
    assert_eq!(lesson.title, "A swarm");
    assert_eq!(lesson.minutes, 10);
    assert_eq!(
        lesson.sandbox,
        Template::Swarm {
            managers: 1,
            workers: 2,
            joined: true
        }
    );
    assert!(
        lesson.intro_html.contains("<em>swarm</em>"),
        "{}",
        lesson.intro_html
    );
    assert_eq!(lesson.steps.len(), 2);

    let step = &lesson.steps[0];
    assert_eq!(step.title, "Start the swarm");
    assert_eq!(step.line, FIRST + 2);
    assert_eq!(step.blocks.len(), 5);
    assert!(
        matches!(&step.blocks[0], Block::Prose { html } if html.contains("Run this on the manager"))
    );
    assert_eq!(
        step.blocks[1],
        Block::Code {
            lang: "sh".into(),
            code: "docker swarm init".into(),
            run_on: Some("node1".into())
        }
    );
    assert_eq!(
        step.blocks[2],
        Block::Code {
            lang: "yaml".into(),
            code: "key: value".into(),
            run_on: None
        }
    );
    assert_eq!(
        step.blocks[3],
        Block::Code {
            lang: "bash".into(),
            code: "docker info".into(),
            run_on: None
        }
    );
    assert!(matches!(&step.blocks[4], Block::Prose { html } if html.contains("Then look")));
    assert_eq!(
        step.check,
        Some(Script {
            node: "node1".into(),
            source: "docker node ls".into(),
            timeout: Some(Duration::from_secs(30))
        })
    );
    assert_eq!(step.hints.len(), 2);
    assert!(step.hints[0].contains("<code>docker swarm init</code>"));
    assert_eq!(
        step.solution.as_ref().map(|s| s.source.as_str()),
        Some("docker swarm init")
    );
    assert_eq!(
        step.solution.as_ref().map(|s| s.timeout),
        Some(None),
        "no timeout given: the server's default applies"
    );

    let reading = &lesson.steps[1];
    assert!(reading.check.is_none());
    assert!(
        matches!(&reading.blocks[0], Block::Prose { html } if html.contains("<table>")),
        "GFM tables render"
    );
}

#[test]
fn a_runnable_block_can_name_another_node() {
    let lesson = parse("## Join\n\n```sh node=node3\ndocker swarm join\n```\n").unwrap();
    assert_eq!(
        lesson.steps[0].blocks[0],
        Block::Code {
            lang: "sh".into(),
            code: "docker swarm join".into(),
            run_on: Some("node3".into())
        }
    );
}

#[test]
fn raw_html_in_lessons_is_escaped() {
    let lesson = parse("## Step\n\n<script>alert(1)</script>\n").unwrap();
    let Block::Prose { html } = &lesson.steps[0].blocks[0] else {
        panic!("prose expected")
    };
    assert!(!html.contains("<script>"), "{html}");
}

#[test]
fn a_lesson_needs_front_matter() {
    let error = parse_lesson(Path::new("x.md"), "x", "## Step\n").unwrap_err();
    assert_eq!(error.line, 1);
    assert!(matches!(error.problem, Problem::MissingFrontMatter));
}

#[test]
fn broken_front_matter_names_the_yaml_line() {
    let source = "---\ntitle: A\nsummary: B\nminutes: ten\nsandbox:\n  kind: single\n---\n## S\n";
    let error = parse_lesson(Path::new("x.md"), "x", source).unwrap_err();
    assert_eq!(error.line, 4, "{error}");
    assert!(error.to_string().contains("minutes"), "{error}");
}

#[test]
fn unknown_front_matter_keys_and_sandbox_kinds_are_refused() {
    let typo =
        "---\ntitle: A\nsummary: B\nminutes: 1\nsandbox:\n  kind: single\ntitel: C\n---\n## S\n";
    let error = parse_lesson(Path::new("x.md"), "x", typo).unwrap_err();
    assert!(error.to_string().contains("titel"), "{error}");

    let kind = "---\ntitle: A\nsummary: B\nminutes: 1\nsandbox:\n  kind: mesos\n---\n## S\n";
    let error = parse_lesson(Path::new("x.md"), "x", kind).unwrap_err();
    assert!(error.to_string().contains("mesos"), "{error}");

    let extra = "---\ntitle: A\nsummary: B\nminutes: 1\nsandbox:\n  kind: swarm\n  managers: 1\n  workers: 1\n  replicas: 2\n---\n## S\n";
    let error = parse_lesson(Path::new("x.md"), "x", extra).unwrap_err();
    assert!(error.to_string().contains("replicas"), "{error}");
}

#[test]
fn an_impossible_sandbox_is_refused() {
    let source = "---\ntitle: A\nsummary: B\nminutes: 1\nsandbox:\n  kind: swarm\n  managers: 0\n  workers: 2\n---\n## S\n";
    let error = parse_lesson(Path::new("x.md"), "x", source).unwrap_err();
    assert!(matches!(error.problem, Problem::Sandbox(_)), "{error}");
    assert_eq!(error.line, 2);
}

#[test]
fn every_body_problem_names_its_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("# Title\n", FIRST, "`# ` headings are not allowed"),
        ("Just prose.\n", 1, "no steps"),
        ("##\n", FIRST, "needs a title"),
        ("```check\ntrue\n```\n", FIRST, "must be inside a step"),
        (
            "## S\n\n- item\n\n  ```hint\nx\n  ```\n",
            FIRST + 4,
            "top level of its step",
        ),
        (
            "## S\n\n> ```solution\n> x\n> ```\n",
            FIRST + 2,
            "top level of its step",
        ),
        (
            "## S\n\n```check\na\n```\n\n```check\nb\n```\n",
            FIRST + 6,
            "only one `check`",
        ),
        (
            "## S\n\n```check\na\n```\n\n```solution\nb\n```\n\n```solution\nc\n```\n",
            FIRST + 10,
            "only one `solution`",
        ),
        (
            "## S\n\n```solution\nb\n```\n\n## T\n",
            FIRST + 2,
            "needs a `check`",
        ),
        (
            "## S\n\n```mistake\nb\n```\n\n## T\n",
            FIRST + 2,
            "a `mistake` needs a `check`",
        ),
        (
            "## S\n\n```check\na\n```\n\n```mistake node=node9\nb\n```\n",
            FIRST + 6,
            "node `node9` is not in this lesson's sandbox",
        ),
        (
            "## S\n\n```check\n\n```\n",
            FIRST + 2,
            "`check` block is empty",
        ),
        (
            "## S\n\n```sh nod=node2\nls\n```\n",
            FIRST + 2,
            "unknown option `nod=node2` on a `sh` block",
        ),
        (
            "## S\n\n```hint node=node1\nx\n```\n",
            FIRST + 2,
            "unknown option `node=node1` on a `hint` block",
        ),
        (
            "## S\n\n```yaml norun\nx\n```\n",
            FIRST + 2,
            "on a `yaml` block (it takes: none)",
        ),
        (
            "## S\n\n```check norun\nx\n```\n",
            FIRST + 2,
            "unknown option `norun`",
        ),
        (
            "## S\n\n```sh node=node9\nls\n```\n",
            FIRST + 2,
            "node `node9` is not in this lesson's sandbox (its nodes: node1, node2, node3)",
        ),
        (
            "## S\n\n```check timeout=0\ntrue\n```\n",
            FIRST + 2,
            "timeout must be whole seconds",
        ),
        (
            "## S\n\n```check timeout=soon\ntrue\n```\n",
            FIRST + 2,
            "not `soon`",
        ),
    ];
    for (body, line, expected) in cases {
        let (found_line, message) = problem(body);
        assert!(
            message.contains(expected),
            "for {body:?}: {message:?} lacks {expected:?}"
        );
        assert_eq!(found_line, *line, "for {body:?}: {message}");
    }
}

mod catalog {
    use std::fs;

    use super::*;

    const GOOD: &str = "---\ntitle: Good\nsummary: Fine.\nminutes: 5\nsandbox:\n  kind: single\n---\n## Only step\n\nText.\n";

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn tracks_and_lessons_load_in_prefix_order_and_broken_ones_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "02-second/track.yaml",
            "title: Second\nsummary: Two.\n",
        );
        write(root, "02-second/10-later.md", GOOD);
        write(root, "02-second/02-sooner.md", GOOD);
        write(root, "02-second/03-broken.md", "no front matter\n");
        write(root, "02-second/notes.txt", "ignored");
        write(root, "01-first/track.yaml", "title: First\nsummary: One.\n");
        write(root, "01-first/01-only.md", GOOD);
        write(root, "03-no-meta/01-x.md", GOOD);
        write(root, "04-bad-meta/track.yaml", "title: [unclosed\n");

        let catalog = load(root);
        let tracks: Vec<_> = catalog.tracks.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(tracks, ["first", "second"]);
        let second: Vec<_> = catalog.tracks[1]
            .lessons
            .iter()
            .map(|l| l.slug.as_str())
            .collect();
        assert_eq!(second, ["sooner", "later"]);
        assert_eq!(catalog.lesson_count(), 3);

        let problems: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems
            .iter()
            .any(|p| p.contains("03-broken.md:1: the lesson must start with front matter")));
        assert!(problems
            .iter()
            .any(|p| p.contains("03-no-meta/track.yaml:1: the track has no track.yaml")));
        assert!(problems
            .iter()
            .any(|p| p.contains("04-bad-meta/track.yaml:")));
    }

    #[test]
    fn badly_named_entries_and_a_missing_directory_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "swarm/track.yaml", "title: T\nsummary: S.\n");
        let catalog = load(dir.path());
        assert_eq!(catalog.problems.len(), 1);
        assert!(
            catalog.problems[0]
                .to_string()
                .contains("must look like `NN-name`"),
            "{}",
            catalog.problems[0]
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "01-t/track.yaml", "title: T\nsummary: S.\n");
        write(dir.path(), "01-t/Lesson One.md", GOOD);
        write(dir.path(), "01-t/02-fine.md", GOOD);
        let catalog = load(dir.path());
        assert!(
            catalog.problems[0].to_string().contains("`NN-name.md`"),
            "{}",
            catalog.problems[0]
        );
        assert_eq!(
            catalog.lesson_count(),
            1,
            "the well-named lesson still loads"
        );

        let catalog = load(&dir.path().join("missing"));
        assert!(
            catalog.problems[0].to_string().contains("cannot read it"),
            "{}",
            catalog.problems[0]
        );
    }

    #[test]
    fn the_bundled_lessons_are_all_valid() {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let catalog = load(&bundled);
        let problems: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(catalog.lesson_count() >= 3);
        // What the room's registry is seeded with: the images the lessons declare, and
        // the pinned kind node image, since the bundle has Kubernetes lessons.
        let images = catalog.images();
        for image in ["nginx:1.27.2", "alpine:3.20.3", "redis:7.4.1", "counter"] {
            assert!(images.iter().any(|i| i == image), "{image}: {images:?}");
        }
        // Pinned, so every learner in a room and every rehearsal runs the same versions;
        // `counter` is the room's own, built here.
        let floating: Vec<&String> = images
            .iter()
            .filter(|image| *image != "counter")
            .filter(|image| {
                let name = image.split('@').next().unwrap_or(image);
                let tag = name
                    .rsplit('/')
                    .next()
                    .and_then(|last| last.split_once(':'));
                tag.is_none_or(|(_, tag)| tag == "latest")
            })
            .collect();
        assert!(
            floating.is_empty(),
            "images without a fixed tag: {floating:?}"
        );
        assert!(images
            .iter()
            .any(|i| i.starts_with("kindest/node:v1.35.0@sha256:")));
    }
}

#[test]
fn a_lesson_uses_the_tools_its_runnable_blocks_checks_and_solutions_name() {
    let lesson = parse(
        "## Charts\n\n```sh\nhelm install web ./chart\n```\n\n```sh norun\nkompose convert\n```\n\n\
         Prose about kubectl.\n\n```check\nkubectl-ish get\n```\n\n```solution\ndocker stack deploy\n```\n",
    )
    .unwrap();
    assert!(lesson.uses_tool("helm"), "a runnable block");
    assert!(lesson.uses_tool("docker"), "a solution");
    assert!(!lesson.uses_tool("kompose"), "a block only to read");
    assert!(!lesson.uses_tool("kubectl"), "prose, and a longer word");
}

#[test]
fn a_lesson_declares_the_images_it_pulls() {
    let source = "---\ntitle: K\nsummary: S.\nminutes: 5\nsandbox:\n  kind: kind\n  nodes: 2\nimages: [nginx, redis:7]\n---\n## One\n";
    let lesson = parse_lesson(Path::new("x.md"), "x", source).unwrap();
    assert_eq!(lesson.images, ["nginx", "redis:7"]);
    assert_eq!(parse("## One\n").unwrap().images, Vec::<String>::new());
}

#[test]
fn mistakes_are_kept_for_lesson_tests_and_named_by_their_first_comment() {
    let lesson = parse(
        "## S\n\n```check\ntrue\n```\n\n```mistake node=node2\n# joins as a manager\ndocker swarm join\n```\n\n\
         ```mistake\ndocker service scale web=5\n```\n\n```solution\ntrue\n```\n",
    )
    .unwrap();
    let step = &lesson.steps[0];
    assert_eq!(step.blocks.len(), 0, "learners do not see mistakes");
    assert_eq!(step.mistakes.len(), 2);
    assert_eq!(step.mistakes[0].script.node, "node2");
    assert_eq!(step.mistakes[0].describe(), "joins as a manager");
    assert_eq!(step.mistakes[1].line, FIRST + 11);
    assert_eq!(
        step.mistakes[1].describe(),
        format!("the mistake on line {}", FIRST + 11)
    );
}

#[test]
fn input_the_markdown_crate_panics_on_is_a_lesson_error_with_file_and_line() {
    let (line, problem) = problem("## S\n\n=\n=\n=\na\n=\n");
    assert_eq!(line, 1);
    assert!(problem.contains("markdown-rs#31"), "{problem}");
}

#[test]
fn a_file_block_names_a_file_in_the_home_folder_and_a_node() {
    let lesson = parse(
        "## Write it\n\n```file path=~/counter/app.py node=node2\nprint('hi')\n```\n\n\
         ```file path=stack.yml\nservices: {}\n```\n",
    )
    .unwrap();
    assert_eq!(
        lesson.steps[0].blocks,
        [
            Block::File {
                node: "node2".into(),
                path: "~/counter/app.py".into(),
                text: "print('hi')\n".into(),
            },
            Block::File {
                node: "node1".into(),
                path: "~/stack.yml".into(),
                text: "services: {}\n".into(),
            },
        ]
    );
    let (line, why) = problem("## Write it\n\n```file path=../etc/motd\nx\n```\n");
    assert_eq!(line, FIRST + 2);
    assert!(why.contains("`path=` a file in the home folder"), "{why}");
    let (_, why) = problem("## Write it\n\n```file node=node1\nx\n```\n");
    assert!(why.contains("needs `path=`"), "{why}");
}

const QUIZ: &str = "## Think\n\n```quiz\nquestion: What does `docker service scale web=5` change?\nchoices:\n  - answer: The number of **tasks**\n    right: true\n  - answer: The number of nodes\n    why: Scaling never adds nodes.\n```\n";

#[test]
fn a_quiz_block_is_the_steps_question_with_its_choices_and_reasons() {
    let lesson = parse(QUIZ).unwrap();
    let step = &lesson.steps[0];
    assert!(step.is_gated() && step.check.is_none());
    assert!(step.blocks.is_empty(), "the quiz is not a block of prose");
    let quiz = step.quiz.as_ref().expect("the quiz");
    assert_eq!(quiz.line, FIRST + 2);
    assert!(
        quiz.question_html
            .contains("<code>docker service scale web=5</code>"),
        "{}",
        quiz.question_html
    );
    assert_eq!(quiz.choices[0].answer.text, "The number of **tasks**");
    assert_eq!(
        quiz.choices[0].answer.html,
        "The number of <strong>tasks</strong>"
    );
    assert!(quiz.choices[0].right && !quiz.choices[1].right);
    let why = quiz.choices[1].why.as_ref().expect("a reason");
    assert_eq!(why.html, "Scaling never adds nodes.");
    assert!(!quiz.is_multiple());
}

#[test]
fn a_quiz_without_a_right_answer_or_a_reason_for_a_wrong_one_is_refused() {
    let quiz = |choices: &str| format!("## Q\n\n```quiz\nquestion: Why?\nchoices:\n{choices}```\n");
    let (line, why) = problem(&quiz(
        "  - answer: A\n    why: no\n  - answer: B\n    why: no\n",
    ));
    assert_eq!(line, FIRST + 2);
    assert!(why.contains("needs a right answer"), "{why}");
    let (_, why) = problem(&quiz("  - answer: A\n    right: true\n  - answer: B\n"));
    assert!(why.contains("the wrong choice `B` needs a `why:`"), "{why}");
    let (_, why) = problem(&quiz("  - answer: A\n    right: true\n"));
    assert!(why.contains("at least two"), "{why}");
    let (_, why) = problem(&quiz(
        "  - answer: A\n    right: true\n  - answer: B\n    right: true\n",
    ));
    assert!(why.contains("any answer passes"), "{why}");
    let (line, why) = problem(&quiz("  - answer: A\n    rihgt: true\n"));
    assert_eq!(line, FIRST + 6, "the line of the misspelt key");
    assert!(why.contains("rihgt"), "{why}");
    let (_, why) = problem(&format!("{QUIZ}\n```check\ntrue\n```\n"));
    assert!(why.contains("a `check` or a `quiz`, not both"), "{why}");
}
