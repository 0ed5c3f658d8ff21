//! Lessons: markdown files with YAML front matter, grouped into tracks by folder.
//!
//! ```text
//! lessons/
//!   01-docker-swarm/          a track: NN-slug, ordered by NN
//!     track.yaml              title, summary
//!     01-swarm-from-scratch.md  a lesson: NN-slug.md, ordered by NN
//! ```
//!
//! The README's "Writing a lesson" section describes the file format. A broken file is
//! reported as `path:line: problem` and skipped; the other lessons still load.

mod catalog;
mod parse;
mod view;

use std::path::PathBuf;
use std::time::Duration;

pub use catalog::{load, Catalog, Track};
pub use parse::parse_lesson;
pub use view::library;

use app::model::{Fault, Template, TemplateError};

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub sandbox: Template,
    /// The images the lesson pulls, for the room's registry (front matter `images:`).
    pub images: Vec<String>,
    /// Rendered markdown shown above the first step.
    pub intro_html: String,
    pub steps: Vec<Step>,
}

impl Lesson {
    /// Whether the lesson has the learner (or its checks and solutions) run `tool`: a
    /// word of some runnable block, check or solution.
    pub fn uses_tool(&self, tool: &str) -> bool {
        let names = |text: &str| {
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .any(|word| word == tool)
        };
        self.steps.iter().any(|step| {
            let scripts = step.check.iter().chain(&step.solution);
            step.blocks.iter().any(
                |block| matches!(block, Block::Code { code, run_on: Some(_), .. } if names(code)),
            ) || scripts.into_iter().any(|script| names(&script.source))
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    /// The file line of the step's `## ` heading, for reports about it.
    pub line: usize,
    pub blocks: Vec<Block>,
    pub check: Option<Script>,
    /// A question the learner answers instead of a check; a step has one or the other.
    pub quiz: Option<Quiz>,
    /// Rendered markdown, in the order they are revealed.
    pub hints: Vec<String>,
    pub solution: Option<Script>,
    /// Plausible wrong actions after which the check must still fail; only
    /// `slipway lessons test` runs them.
    pub mistakes: Vec<Mistake>,
}

impl Step {
    /// Whether the step is done only once its check passes or its quiz is answered
    /// right; until then the steps after it stay locked.
    pub fn is_gated(&self) -> bool {
        self.check.is_some() || self.quiz.is_some()
    }

    /// The faults the step's `fault` blocks do, in order, with their nodes.
    pub fn faults(&self) -> impl Iterator<Item = (&str, Fault)> {
        self.blocks.iter().filter_map(|block| match block {
            Block::Fault { node, fault, .. } => Some((node.as_str(), *fault)),
            _ => None,
        })
    }
}

/// A `quiz` block: a question with choices, one or more of them right. Every wrong
/// choice says why it is wrong, which is what a learner who picks it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Quiz {
    /// The block's line in the lesson file, for reports about it.
    pub line: usize,
    /// Rendered markdown.
    pub question_html: String,
    pub choices: Vec<Choice>,
}

impl Quiz {
    /// More than one choice is right: the learner picks all that apply.
    pub fn is_multiple(&self) -> bool {
        self.choices.iter().filter(|c| c.right).count() > 1
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub answer: Markdown,
    pub right: bool,
    /// Why a wrong choice is wrong (or, for a right one, why it is right).
    pub why: Option<Markdown>,
}

/// A short piece of markdown as the lesson writes it, for the room and the results, and
/// rendered (inline, without a paragraph around it) for the lesson page.
#[derive(Clone, Debug, PartialEq)]
pub struct Markdown {
    pub text: String,
    pub html: String,
}

/// A `mistake` block: what a learner might do instead of the step.
#[derive(Clone, Debug, PartialEq)]
pub struct Mistake {
    /// The block's line in the lesson file, for the rehearsal's report.
    pub line: usize,
    pub script: Script,
}

impl Mistake {
    /// The block's first comment, which says what the mistake is, or its line.
    pub fn describe(&self) -> String {
        self.script
            .source
            .lines()
            .find_map(|l| l.trim().strip_prefix('#').map(str::trim))
            .filter(|comment| !comment.is_empty() && !comment.starts_with('!'))
            .map_or_else(
                || format!("the mistake on line {}", self.line),
                str::to_string,
            )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Prose {
        html: String,
    },
    /// `run_on` is the node a click runs the code on; `None` for display-only blocks.
    Code {
        lang: String,
        code: String,
        run_on: Option<String>,
    },
    /// A `fault` block: a button that does `fault` to `node` from outside.
    Fault {
        node: String,
        fault: Fault,
        label: String,
    },
    /// A `file` block: a click writes `text` as `path` (`~/stack.yml`) on `node` and
    /// opens it in the editor.
    File {
        node: String,
        path: String,
        text: String,
    },
}

/// A shell script run non-interactively on one node of the sandbox.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub node: String,
    pub source: String,
    /// `None`: the server's default (`--check-timeout-seconds`).
    pub timeout: Option<Duration>,
}

/// A problem in a lesson or track file, with where it is.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {problem}", file.display())]
pub struct LessonError {
    pub file: PathBuf,
    pub line: usize,
    pub problem: Problem,
}

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("cannot read it: {0}")]
    Unreadable(#[source] std::io::Error),
    #[error("the name must look like `NN-name{0}` (NN orders it), e.g. `01-first-steps{0}`")]
    BadName(&'static str),
    #[error("the track has no track.yaml with its title and summary")]
    MissingTrackFile,
    #[error("{0}")]
    Yaml(String),
    #[error("the lesson must start with front matter between `---` lines (title, summary, minutes, sandbox)")]
    MissingFrontMatter,
    #[error("sandbox: {0}")]
    Sandbox(#[from] TemplateError),
    #[error("`# ` headings are not allowed: the title comes from the front matter; start each step with `## `")]
    TopLevelHeading,
    #[error("the lesson has no steps: start each step with a `## ` heading")]
    NoSteps,
    #[error("a step heading needs a title")]
    EmptyStepTitle,
    #[error("a `{0}` block must be inside a step (after a `## ` heading)")]
    OutsideStep(&'static str),
    #[error("a `{0}` block must be at the top level of its step, not inside a list or quote")]
    Nested(&'static str),
    #[error("a step can have only one `{0}` block")]
    Duplicate(&'static str),
    #[error("a `{0}` needs a `check` in the same step, so lesson tests can prove it")]
    WithoutCheck(&'static str),
    #[error("the `{0}` block is empty")]
    Empty(&'static str),
    #[error("unknown option `{option}` on a `{block}` block (it takes: {allowed})")]
    UnknownOption {
        block: String,
        option: String,
        allowed: &'static str,
    },
    #[error("node `{node}` is not in this lesson's sandbox (its nodes: {nodes})")]
    UnknownNode { node: String, nodes: String },
    #[error("a `fault` block needs `node=NAME` and `fault=` one of: {}", Fault::ALL.map(Fault::name).join(", "))]
    BadFault,
    #[error("a `file` block needs `path=` a file in the home folder, such as `path=~/stack.yml` (got `{0}`)")]
    BadFilePath(String),
    #[error("quiz: {0}")]
    Quiz(String),
    #[error("a step has a `check` or a `quiz`, not both: give the quiz a step of its own")]
    CheckAndQuiz,
    #[error("timeout must be whole seconds from 1 to {max}, not `{value}`", max = parse::MAX_TIMEOUT_SECS)]
    BadTimeout { value: String },
    #[error("markdown: {0}")]
    Markdown(String),
}

#[cfg(test)]
mod tests;
