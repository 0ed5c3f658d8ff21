//! Lessons as the pages show them: no check scripts or solutions leave the server.

use app::model::{BlockView, LessonSummary, LessonView, Library, QuizView, StepView, TrackView};

use super::{Block, Catalog, Lesson, Quiz};

/// The pages' view of the catalog. `missing_tools` are the tools the sandbox node image
/// lacks: each lesson that uses one says so.
pub fn library(catalog: &Catalog, missing_tools: &[String]) -> Library {
    let mut library = Library {
        problems: catalog.problems.iter().map(ToString::to_string).collect(),
        ..Library::default()
    };
    for track in &catalog.tracks {
        library.tracks.push(TrackView {
            slug: track.slug.clone(),
            title: track.title.clone(),
            summary: track.summary.clone(),
            lessons: track.lessons.iter().map(summary).collect(),
        });
        for lesson in &track.lessons {
            let view = LessonView {
                track: track.slug.clone(),
                track_title: track.title.clone(),
                summary: summary(lesson),
                intro_html: lesson.intro_html.clone(),
                nodes: lesson.sandbox.node_names(),
                missing_tools: missing_tools
                    .iter()
                    .filter(|tool| lesson.uses_tool(tool))
                    .cloned()
                    .collect(),
                steps: lesson
                    .steps
                    .iter()
                    .map(|step| StepView {
                        title: step.title.clone(),
                        blocks: step.blocks.iter().map(block).collect(),
                        has_check: step.check.is_some(),
                        quiz: step.quiz.as_ref().map(quiz),
                        hints: step.hints.len(),
                        has_solution: step.solution.is_some(),
                    })
                    .collect(),
            };
            library
                .lessons
                .insert((track.slug.clone(), lesson.slug.clone()), view);
        }
    }
    library
}

fn summary(lesson: &Lesson) -> LessonSummary {
    LessonSummary {
        slug: lesson.slug.clone(),
        title: lesson.title.clone(),
        summary: lesson.summary.clone(),
        minutes: lesson.minutes,
        steps: lesson.steps.len(),
        sandbox: lesson.sandbox.describe(),
    }
}

/// The question and choices; which are right stays here.
fn quiz(quiz: &Quiz) -> QuizView {
    QuizView {
        question_html: quiz.question_html.clone(),
        choices: quiz.choices.iter().map(|c| c.answer.html.clone()).collect(),
        multiple: quiz.is_multiple(),
    }
}

fn block(block: &Block) -> BlockView {
    match block {
        Block::Prose { html } => BlockView::Prose { html: html.clone() },
        Block::Code { lang, code, run_on } => BlockView::Code {
            lang: lang.clone(),
            code: code.clone(),
            run_on: run_on.clone(),
        },
        Block::Fault { node, fault, label } => BlockView::Fault {
            node: node.clone(),
            fault: *fault,
            label: label.clone(),
        },
        Block::File { node, path, text } => BlockView::File {
            node: node.clone(),
            path: path.clone(),
            text: text.clone(),
        },
    }
}
