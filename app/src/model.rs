//! What the pages show, as plain data. The server builds it from the lesson files.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Every track and lesson that loaded, plus the problems of those that did not.
#[derive(Clone, Debug, Default)]
pub struct Library {
    pub tracks: Vec<TrackView>,
    pub lessons: HashMap<(String, String), LessonView>,
    /// One line per broken lesson or track file: `path:line: what is wrong`.
    pub problems: Vec<String>,
}

impl Library {
    pub fn lesson(&self, track: &str, lesson: &str) -> Option<&LessonView> {
        self.lessons.get(&(track.to_string(), lesson.to_string()))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrackView {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub lessons: Vec<LessonSummary>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LessonSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub steps: usize,
    /// A short description of the sandbox, e.g. "Swarm: 1 manager, 2 workers".
    pub sandbox: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LessonView {
    pub track: String,
    pub track_title: String,
    pub summary: LessonSummary,
    pub intro_html: String,
    pub nodes: Vec<String>,
    pub steps: Vec<StepView>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StepView {
    pub title: String,
    pub blocks: Vec<BlockView>,
    pub has_check: bool,
    pub hints: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum BlockView {
    /// Rendered markdown.
    Prose { html: String },
    /// A code block; `run_on` names the node a click runs it on, if it is runnable.
    Code {
        lang: String,
        code: String,
        run_on: Option<String>,
    },
}
