//! The lessons directory to tracks of lessons, collecting problems instead of stopping.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{parse_lesson, Lesson, LessonError, Problem};
use app::model::Template;

#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub lessons: Vec<Lesson>,
}

/// Everything that loaded, and a problem for everything that did not.
#[derive(Debug, Default)]
pub struct Catalog {
    pub tracks: Vec<Track>,
    pub problems: Vec<LessonError>,
}

impl Catalog {
    pub fn lesson_count(&self) -> usize {
        self.tracks.iter().map(|t| t.lessons.len()).sum()
    }

    /// Every distinct sandbox template the lessons use, in lesson order.
    pub fn templates(&self) -> Vec<Template> {
        let mut templates: Vec<Template> = Vec::new();
        for lesson in self.tracks.iter().flat_map(|t| &t.lessons) {
            if !templates.contains(&lesson.sandbox) {
                templates.push(lesson.sandbox.clone());
            }
        }
        templates
    }

    /// Every image the room's registry needs for these lessons: those they declare, and
    /// the kind node image of each Kubernetes version they run.
    pub fn images(&self) -> Vec<String> {
        images_of(self.tracks.iter().flat_map(|t| &t.lessons))
    }

    /// The lesson named `track/lesson`, with its track's slug.
    pub fn lesson(&self, name: &str) -> Option<(&str, &Lesson)> {
        let (track, lesson) = name.split_once('/')?;
        let track = self.tracks.iter().find(|t| t.slug == track)?;
        let lesson = track.lessons.iter().find(|l| l.slug == lesson)?;
        Some((&track.slug, lesson))
    }

    /// The sandbox template of a lesson named `track/lesson`.
    pub fn template_of(&self, name: &str) -> Option<Template> {
        self.lesson(name).map(|(_, lesson)| lesson.sandbox.clone())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackFile {
    title: String,
    summary: String,
}

/// Loads every track under `dir`. One broken file never hides the others.
pub fn load(dir: &Path) -> Catalog {
    let mut catalog = Catalog::default();
    let track_dirs = match ordered_entries(dir, "", &mut catalog.problems) {
        Ok(entries) => entries,
        Err(problem) => {
            catalog.problems.push(problem);
            return catalog;
        }
    };
    for (slug, path) in track_dirs {
        match load_track(&path, slug, &mut catalog.problems) {
            Ok(track) => catalog.tracks.push(track),
            Err(problem) => catalog.problems.push(problem),
        }
    }
    catalog
}

fn load_track(
    dir: &Path,
    slug: String,
    problems: &mut Vec<LessonError>,
) -> Result<Track, LessonError> {
    let meta_path = dir.join("track.yaml");
    let error = |line, problem| LessonError {
        file: meta_path.clone(),
        line,
        problem,
    };
    let text = fs::read_to_string(&meta_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => error(1, Problem::MissingTrackFile),
        _ => error(1, Problem::Unreadable(e)),
    })?;
    let meta: TrackFile = serde_yaml_ng::from_str(&text).map_err(|e| {
        error(
            e.location().map_or(1, |l| l.line()),
            Problem::Yaml(e.to_string()),
        )
    })?;

    let mut lessons = Vec::new();
    for (lesson_slug, path) in ordered_entries(dir, ".md", problems)? {
        let lesson = fs::read_to_string(&path)
            .map_err(|e| LessonError {
                file: path.clone(),
                line: 1,
                problem: Problem::Unreadable(e),
            })
            .and_then(|source| parse_lesson(&path, &lesson_slug, &source));
        match lesson {
            Ok(lesson) => lessons.push(lesson),
            Err(problem) => problems.push(problem),
        }
    }
    Ok(Track {
        slug,
        title: meta.title,
        summary: meta.summary,
        lessons,
    })
}

/// The `NN-slug` entries of a directory, ordered by NN: folders when `suffix` is empty,
/// otherwise files ending in `suffix`. Returns `(slug, path)` pairs; a badly named entry
/// becomes a problem and is skipped.
fn ordered_entries(
    dir: &Path,
    suffix: &'static str,
    problems: &mut Vec<LessonError>,
) -> Result<Vec<(String, PathBuf)>, LessonError> {
    let unreadable = |e| LessonError {
        file: dir.to_path_buf(),
        line: 1,
        problem: Problem::Unreadable(e),
    };
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let wanted = if suffix.is_empty() {
            path.is_dir()
        } else {
            path.is_file()
        };
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !wanted || name.starts_with('.') || !name.ends_with(suffix) {
            continue;
        }
        let stem = &name[..name.len() - suffix.len()];
        match order_and_slug(stem) {
            Some((order, slug)) => found.push((order, slug, path)),
            None => problems.push(LessonError {
                file: path,
                line: 1,
                problem: Problem::BadName(suffix),
            }),
        }
    }
    found.sort();
    Ok(found
        .into_iter()
        .map(|(_, slug, path)| (slug, path))
        .collect())
}

/// `01-first-steps` to `(1, "first-steps")`; the slug is what URLs show.
fn order_and_slug(stem: &str) -> Option<(u32, String)> {
    let (order, slug) = stem.split_once('-')?;
    let valid_slug = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (order.len() >= 2 && valid_slug).then_some(())?;
    Some((order.parse().ok()?, slug.to_string()))
}

impl Track {
    /// The images its lessons need in the room's registry (see [`Catalog::images`]).
    pub fn images(&self) -> Vec<String> {
        images_of(&self.lessons)
    }
}

fn images_of<'a>(lessons: impl IntoIterator<Item = &'a Lesson>) -> Vec<String> {
    let mut images: Vec<String> = Vec::new();
    for lesson in lessons {
        let node_image = match &lesson.sandbox {
            Template::Kind { kubernetes, .. } => {
                Some(crate::sandbox::kind::node_image(kubernetes.as_deref()).to_string())
            }
            _ => None,
        };
        for image in lesson.images.iter().cloned().chain(node_image) {
            if !images.contains(&image) {
                images.push(image);
            }
        }
    }
    images
}
