//! One lesson file to a [`Lesson`]. Every error names the line it is about.

use std::path::Path;
use std::time::Duration;

use markdown::mdast::{Code, Node};
use markdown::{Constructs, Options, ParseOptions};
use serde::Deserialize;

use super::{Block, Choice, Lesson, LessonError, Markdown, Mistake, Problem, Quiz, Script, Step};
use app::model::{Fault, Template};

pub const MAX_TIMEOUT_SECS: u64 = 600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    summary: String,
    minutes: u32,
    sandbox: Template,
    /// The container images the lesson pulls (Docker Hub names, `nginx` or
    /// `repository:tag`), which the room's registry is seeded with.
    #[serde(default)]
    images: Vec<String>,
}

/// A `quiz` block's YAML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizSource {
    question: String,
    choices: Vec<ChoiceSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceSource {
    answer: String,
    #[serde(default)]
    right: bool,
    why: Option<String>,
}

/// What a fenced block's info string makes it.
enum Fence<'a> {
    Check,
    Hint,
    Solution,
    Mistake,
    Fault,
    File,
    Quiz,
    Shell,
    Display(&'a str),
}

impl<'a> Fence<'a> {
    fn of(lang: &'a str) -> Self {
        match lang {
            "check" => Fence::Check,
            "hint" => Fence::Hint,
            "solution" => Fence::Solution,
            "mistake" => Fence::Mistake,
            "fault" => Fence::Fault,
            "file" => Fence::File,
            "quiz" => Fence::Quiz,
            "sh" | "bash" | "shell" => Fence::Shell,
            other => Fence::Display(other),
        }
    }

    fn special_name(&self) -> Option<&'static str> {
        match self {
            Fence::Check => Some("check"),
            Fence::Hint => Some("hint"),
            Fence::Solution => Some("solution"),
            Fence::Mistake => Some("mistake"),
            Fence::Fault => Some("fault"),
            Fence::File => Some("file"),
            Fence::Quiz => Some("quiz"),
            Fence::Shell | Fence::Display(_) => None,
        }
    }

    fn allowed_options(&self) -> &'static str {
        match self {
            Fence::Check => "node=NAME, timeout=SECONDS",
            Fence::Solution | Fence::Mistake => "node=NAME",
            Fence::Fault => "node=NAME, fault=stop|pause|disconnect",
            Fence::File => "path=~/NAME, node=NAME",
            Fence::Shell => "node=NAME, norun",
            Fence::Hint | Fence::Quiz | Fence::Display(_) => "none",
        }
    }
}

/// Options after the language in a fence's info string, e.g. `node=node2 timeout=30`.
#[derive(Default)]
struct FenceOptions {
    node: Option<String>,
    timeout: Option<Duration>,
    norun: bool,
    fault: Option<Fault>,
    path: Option<String>,
}

/// Parses one lesson. `path` is only used in errors; `slug` names the lesson in URLs.
pub fn parse_lesson(path: &Path, slug: &str, source: &str) -> Result<Lesson, LessonError> {
    let error = |line: usize, problem: Problem| LessonError {
        file: path.to_path_buf(),
        line,
        problem,
    };
    let options = ParseOptions {
        constructs: Constructs {
            frontmatter: true,
            ..Constructs::gfm()
        },
        ..ParseOptions::gfm()
    };
    let root = without_panics(|| markdown::to_mdast(source, &options)).map_err(|p| error(1, p))?;
    let children = root.children().map(Vec::as_slice).unwrap_or_default();

    let (front, body) = match children.split_first() {
        Some((Node::Yaml(yaml), rest)) => (yaml, rest),
        _ => return Err(error(1, Problem::MissingFrontMatter)),
    };
    // The YAML starts on the line after the opening `---`.
    let yaml_first_line = front.position.as_ref().map_or(1, |p| p.start.line) + 1;
    let front: FrontMatter = serde_yaml_ng::from_str(&front.value).map_err(|e| {
        let line = e
            .location()
            .map_or(yaml_first_line - 1, |l| yaml_first_line + l.line() - 1);
        error(line, Problem::Yaml(format!("front matter: {e}")))
    })?;
    front
        .sandbox
        .validate()
        .map_err(|e| error(yaml_first_line, e.into()))?;

    let mut builder = LessonBuilder {
        source,
        nodes: front.sandbox.node_names(),
        intro: Prose::default(),
        steps: Vec::new(),
    };
    for node in body {
        builder
            .add(node)
            .map_err(|(line, problem)| error(line, problem))?;
    }
    let (intro_html, steps) = builder
        .finish()
        .map_err(|(line, problem)| error(line, problem))?;
    Ok(Lesson {
        slug: slug.to_string(),
        title: front.title,
        summary: front.summary,
        minutes: front.minutes,
        sandbox: front.sandbox,
        images: front.images,
        intro_html,
        steps,
    })
}

type Located = (usize, Problem);

fn line_of(node: &Node) -> usize {
    node.position().map_or(1, |p| p.start.line)
}

/// A run of consecutive markdown nodes, kept as a byte range of the source so it can be
/// rendered with the markdown crate's own HTML compiler.
#[derive(Default)]
struct Prose {
    range: Option<(usize, usize)>,
}

impl Prose {
    fn extend(&mut self, node: &Node) {
        if let Some(position) = node.position() {
            let (start, end) = (position.start.offset, position.end.offset);
            self.range = Some(match self.range {
                Some((s, _)) => (s, end),
                None => (start, end),
            });
        }
    }

    fn take_html(&mut self, source: &str) -> Result<Option<String>, Problem> {
        match self.range.take() {
            Some((start, end)) => render(&source[start..end]).map(Some),
            None => Ok(None),
        }
    }
}

fn render(markdown: &str) -> Result<String, Problem> {
    without_panics(|| markdown::to_html_with_options(markdown, &Options::gfm()))
}

/// The markdown crate (1.0) panics on a few inputs instead of returning an error, e.g.
/// setext underlines on consecutive lines (wooorm/markdown-rs#31, found by our fuzzing):
/// such a file is reported like any other broken one, and the other lessons still load.
fn without_panics<T>(
    parse: impl FnOnce() -> Result<T, markdown::message::Message>,
) -> Result<T, Problem> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)) {
        Ok(parsed) => parsed.map_err(|m| Problem::Markdown(m.to_string())),
        Err(_) => Err(Problem::Markdown(
            "the markdown parser gave up on this file (it does on underlines such as `=` or              `-` on consecutive lines, wooorm/markdown-rs#31): put a blank line between them,              or use `## ` headings"
                .into(),
        )),
    }
}

struct StepBuilder {
    step: Step,
    prose: Prose,
    solution_line: Option<usize>,
}

struct LessonBuilder<'a> {
    source: &'a str,
    nodes: Vec<String>,
    intro: Prose,
    steps: Vec<StepBuilder>,
}

impl LessonBuilder<'_> {
    fn add(&mut self, node: &Node) -> Result<(), Located> {
        let line = line_of(node);
        match node {
            Node::Heading(heading) if heading.depth == 1 => Err((line, Problem::TopLevelHeading)),
            Node::Heading(heading) if heading.depth == 2 => {
                self.close_step()?;
                let title = node.to_string().trim().to_string();
                if title.is_empty() {
                    return Err((line, Problem::EmptyStepTitle));
                }
                self.steps.push(StepBuilder {
                    step: Step {
                        title,
                        line,
                        blocks: Vec::new(),
                        check: None,
                        quiz: None,
                        hints: Vec::new(),
                        solution: None,
                        mistakes: Vec::new(),
                    },
                    prose: Prose::default(),
                    solution_line: None,
                });
                Ok(())
            }
            Node::Code(code) => self.add_code(code, line),
            other => {
                refuse_nested_special_blocks(other)?;
                match self.steps.last_mut() {
                    Some(current) => current.prose.extend(other),
                    None => self.intro.extend(other),
                }
                Ok(())
            }
        }
    }

    fn add_code(&mut self, code: &Code, line: usize) -> Result<(), Located> {
        let lang = code.lang.as_deref().unwrap_or("");
        let fence = Fence::of(lang);
        let options = self.fence_options(&fence, code.meta.as_deref(), line)?;
        let Some(current) = self.steps.last_mut() else {
            if let Some(name) = fence.special_name() {
                return Err((line, Problem::OutsideStep(name)));
            }
            self.intro.extend(&Node::Code(code.clone()));
            return Ok(());
        };
        if let Some(html) = current
            .prose
            .take_html(self.source)
            .map_err(|p| (line, p))?
        {
            current.step.blocks.push(Block::Prose { html });
        }
        let body = code.value.trim_end().to_string();
        if body.trim().is_empty() {
            if let Some(name) = fence.special_name() {
                return Err((line, Problem::Empty(name)));
            }
        }
        // A fault is done to a node named on purpose, never to node1 by default.
        if matches!(fence, Fence::Fault) && options.node.is_none() {
            return Err((line, Problem::BadFault));
        }
        let node = options.node.unwrap_or_else(|| self.nodes[0].clone());
        let script = |source: String| Script {
            node: node.clone(),
            source,
            timeout: options.timeout,
        };
        let step = &mut current.step;
        match fence {
            Fence::Check if step.check.is_some() => {
                return Err((line, Problem::Duplicate("check")))
            }
            Fence::Quiz if step.quiz.is_some() => return Err((line, Problem::Duplicate("quiz"))),
            Fence::Check if step.quiz.is_some() => return Err((line, Problem::CheckAndQuiz)),
            Fence::Quiz if step.check.is_some() => return Err((line, Problem::CheckAndQuiz)),
            Fence::Check => step.check = Some(script(body)),
            Fence::Quiz => step.quiz = Some(quiz(&body, line)?),
            Fence::Solution if step.solution.is_some() => {
                return Err((line, Problem::Duplicate("solution")))
            }
            Fence::Solution => {
                step.solution = Some(script(body));
                current.solution_line = Some(line);
            }
            Fence::Mistake => step.mistakes.push(Mistake {
                line,
                script: script(body),
            }),
            Fence::Fault => {
                let fault = options.fault.ok_or((line, Problem::BadFault))?;
                step.blocks.push(Block::Fault {
                    node,
                    fault,
                    label: body,
                });
            }
            Fence::File => {
                let path = options
                    .path
                    .ok_or((line, Problem::BadFilePath(String::new())))?;
                // The block's text is the file, to its last newline.
                step.blocks.push(Block::File {
                    node,
                    path,
                    text: format!("{body}\n"),
                });
            }
            Fence::Hint => step.hints.push(render(&body).map_err(|p| (line, p))?),
            Fence::Shell => step.blocks.push(Block::Code {
                lang: lang.to_string(),
                code: body,
                run_on: (!options.norun).then_some(node),
            }),
            Fence::Display(lang) => step.blocks.push(Block::Code {
                lang: lang.to_string(),
                code: body,
                run_on: None,
            }),
        }
        Ok(())
    }

    fn fence_options(
        &self,
        fence: &Fence,
        meta: Option<&str>,
        line: usize,
    ) -> Result<FenceOptions, Located> {
        let mut options = FenceOptions::default();
        for word in meta.unwrap_or("").split_whitespace() {
            let unknown = || {
                let block = match fence {
                    Fence::Display(lang) => (*lang).to_string(),
                    _ => fence.special_name().unwrap_or("sh").to_string(),
                };
                (
                    line,
                    Problem::UnknownOption {
                        block,
                        option: word.to_string(),
                        allowed: fence.allowed_options(),
                    },
                )
            };
            match (fence, word.split_once('=')) {
                (
                    Fence::Check
                    | Fence::Solution
                    | Fence::Mistake
                    | Fence::Fault
                    | Fence::File
                    | Fence::Shell,
                    Some(("node", node)),
                ) => {
                    if !self.nodes.iter().any(|n| n == node) {
                        let nodes = self.nodes.join(", ");
                        return Err((
                            line,
                            Problem::UnknownNode {
                                node: node.to_string(),
                                nodes,
                            },
                        ));
                    }
                    options.node = Some(node.to_string());
                }
                (Fence::Check, Some(("timeout", value))) => {
                    let seconds = value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| (1..=MAX_TIMEOUT_SECS).contains(s))
                        .ok_or_else(|| {
                            (
                                line,
                                Problem::BadTimeout {
                                    value: value.to_string(),
                                },
                            )
                        })?;
                    options.timeout = Some(Duration::from_secs(seconds));
                }
                (Fence::Shell, None) if word == "norun" => options.norun = true,
                (Fence::File, Some(("path", path))) => {
                    let path = crate::files::HomePath::parse(path)
                        .map_err(|_| (line, Problem::BadFilePath(path.to_string())))?;
                    options.path = Some(format!("~/{}", path.relative()));
                }
                (Fence::Fault, Some(("fault", name))) => {
                    let fault = Fault::ALL.into_iter().find(|f| f.name() == name);
                    options.fault = Some(fault.ok_or((line, Problem::BadFault))?);
                }
                _ => return Err(unknown()),
            }
        }
        Ok(options)
    }

    fn close_step(&mut self) -> Result<(), Located> {
        if let Some(current) = self.steps.last_mut() {
            if let Some(html) = current
                .prose
                .take_html(self.source)
                .map_err(|p| (current.step.line, p))?
            {
                current.step.blocks.push(Block::Prose { html });
            }
            if current.step.check.is_none() {
                if let Some(line) = current.solution_line {
                    return Err((line, Problem::WithoutCheck("solution")));
                }
                if let Some(mistake) = current.step.mistakes.first() {
                    return Err((mistake.line, Problem::WithoutCheck("mistake")));
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(String, Vec<Step>), Located> {
        self.close_step()?;
        if self.steps.is_empty() {
            return Err((1, Problem::NoSteps));
        }
        let intro_html = self
            .intro
            .take_html(self.source)
            .map_err(|p| (1, p))?
            .unwrap_or_default();
        Ok((intro_html, self.steps.into_iter().map(|s| s.step).collect()))
    }
}

/// A `quiz` block's YAML (`body`, whose fence is on `line`) to a [`Quiz`]: at least two
/// choices, at least one right and one wrong, and every wrong one saying why.
fn quiz(body: &str, line: usize) -> Result<Quiz, Located> {
    let problem = |text: String| (line, Problem::Quiz(text));
    let source: QuizSource = serde_yaml_ng::from_str(body).map_err(|e| {
        // The YAML starts on the line after the fence.
        let at = e.location().map_or(line, |l| line + l.line());
        (at, Problem::Quiz(e.to_string()))
    })?;
    if source.choices.len() < 2 {
        return Err(problem("it needs at least two `choices`".into()));
    }
    if !source.choices.iter().any(|c| c.right) {
        return Err(problem(
            "no choice is `right: true`: a quiz needs a right answer".into(),
        ));
    }
    if source.choices.iter().all(|c| c.right) {
        return Err(problem(
            "every choice is right, so any answer passes: add a wrong one".into(),
        ));
    }
    if let Some(unexplained) = source.choices.iter().find(|c| !c.right && c.why.is_none()) {
        return Err(problem(format!(
            "the wrong choice `{}` needs a `why:`, which a learner who picks it reads",
            unexplained.answer
        )));
    }
    let located = |p| (line, p);
    let mut choices = Vec::with_capacity(source.choices.len());
    for choice in source.choices {
        choices.push(Choice {
            answer: inline(choice.answer).map_err(located)?,
            right: choice.right,
            why: choice.why.map(inline).transpose().map_err(located)?,
        });
    }
    Ok(Quiz {
        line,
        question_html: render(&source.question).map_err(located)?,
        choices,
    })
}

/// Markdown of one short paragraph, also rendered without the paragraph around it.
fn inline(text: String) -> Result<Markdown, Problem> {
    let html = render(&text)?;
    let trimmed = html.trim();
    let html = trimmed
        .strip_prefix("<p>")
        .and_then(|inner| inner.strip_suffix("</p>"))
        .filter(|inner| !inner.contains("<p>"))
        .unwrap_or(trimmed)
        .to_string();
    Ok(Markdown { text, html })
}

/// Checks, hints and solutions inside lists or quotes would silently render as plain code.
fn refuse_nested_special_blocks(node: &Node) -> Result<(), Located> {
    for child in node.children().map(Vec::as_slice).unwrap_or_default() {
        if let Node::Code(code) = child {
            if let Some(name) = Fence::of(code.lang.as_deref().unwrap_or("")).special_name() {
                return Err((line_of(child), Problem::Nested(name)));
            }
        }
        refuse_nested_special_blocks(child)?;
    }
    Ok(())
}
