//! Files on a node, for the editor beside its terminal: the learner's home folder as a
//! tree, and text files opened and saved.
//!
//! A file's bytes travel as a program's stdin and stdout on the node (`cat`), never
//! through a shell command line. Not through the engine's archive API: a node's root is
//! read-only and its home folder is bound there from the node's disk by the node's own
//! entrypoint, which the archive API, working on the container's root from outside,
//! neither sees nor may write.
//!
//! Every file comes with a version, a hash of its bytes. A save names the version it
//! was edited from, and is refused if the file has changed since (the learner ran
//! `sed -i` in the terminal meanwhile): the edit is never written over work it has not
//! seen, and nothing is lost, since the page still holds the edit.

use std::time::Duration;

use sha2::{Digest, Sha256};

use app::model::{FileEntry, FileSaved, FileText, NodeFiles, SaveFile};

use crate::sandbox::{Sandbox, SandboxError, Sandboxes};

/// The learner's home on every node, where their terminal starts.
pub const HOME: &str = "/root";
/// The largest file the editor opens or saves: stack files and scripts, not data.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The most entries a tree lists.
const MAX_ENTRIES: usize = 500;
/// How deep a tree goes below the home folder.
const MAX_DEPTH: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("{0:?} is not a file in your home folder: the editor opens files under ~ (/root) only, by names without `..`")]
    OutsideHome(String),
    #[error("{path} is larger than the editor opens (1 MiB): use the terminal for it")]
    TooLarge { path: String },
    #[error("{0} is not a text file (UTF-8), so the editor cannot show it")]
    NotText(String),
    #[error("there is no file {0} on this node")]
    NotFound(String),
    #[error("{0} is a folder, not a file")]
    Folder(String),
    #[error("{0} changed on the node since you opened it (in the terminal?): your edit is still here; copy what you need, then open the file again")]
    Changed(String),
    #[error("{path} could not be read: {why}")]
    Unreadable { path: String, why: String },
    #[error("{path} could not be written: {why}")]
    Unwritable { path: String, why: String },
}

/// A path under the home folder, checked: `counter/app.py`, from `counter/app.py`,
/// `~/counter/app.py` or `/root/counter/app.py`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomePath(String);

impl HomePath {
    pub fn parse(path: &str) -> Result<Self, FileError> {
        let outside = || FileError::OutsideHome(path.to_string());
        let relative = path
            .strip_prefix("~/")
            .or_else(|| path.strip_prefix("/root/"))
            .unwrap_or(path);
        if relative.starts_with('/') || relative.contains('\0') || relative.contains('\\') {
            return Err(outside());
        }
        let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() || parts.iter().any(|p| *p == "." || *p == "..") {
            return Err(outside());
        }
        Ok(HomePath(parts.join("/")))
    }

    /// Relative to the home folder, as the page shows it.
    pub fn relative(&self) -> &str {
        &self.0
    }

    fn absolute(&self) -> String {
        format!("{HOME}/{}", self.0)
    }

    /// The folder the file is in, absolute.
    fn folder(&self) -> String {
        match self.0.rsplit_once('/') {
            Some((folder, _)) => format!("{HOME}/{folder}"),
            None => HOME.to_string(),
        }
    }
}

fn version_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The home folder's tree: folders and files, hidden ones left out, sorted by path.
pub async fn tree(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    node: &str,
) -> Result<NodeFiles, FileError> {
    let script = format!(
        "cd {HOME} && find . -mindepth 1 -maxdepth {MAX_DEPTH} -name '.*' -prune -o \
         \\( -type d -printf 'd 0 %P\\n' \\) -o \\( -type f -printf 'f %s %P\\n' \\) \
         | head -n {}",
        MAX_ENTRIES + 1
    );
    let listing = sandboxes
        .run_script(sandbox, node, &script, Duration::from_secs(10))
        .await?;
    let mut entries: Vec<FileEntry> = listing
        .output
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ' ');
            let (kind, bytes, path) = (fields.next()?, fields.next()?, fields.next()?);
            Some(FileEntry {
                path: path.to_string(),
                directory: kind == "d",
                bytes: bytes.parse().ok()?,
            })
        })
        .collect();
    let truncated = entries.len() > MAX_ENTRIES;
    entries.truncate(MAX_ENTRIES);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(NodeFiles { entries, truncated })
}

/// The file's text and version.
pub async fn open(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    node: &str,
    path: &HomePath,
) -> Result<FileText, FileError> {
    let bytes = read(sandboxes, sandbox, node, path)
        .await?
        .ok_or_else(|| FileError::NotFound(path.relative().to_string()))?;
    let version = version_of(&bytes);
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotText(path.relative().into()))?;
    Ok(FileText {
        path: path.relative().to_string(),
        text,
        version,
    })
}

/// Writes the file (and its folder, if need be), unless it changed since `save.version`.
pub async fn save(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    node: &str,
    save: &SaveFile,
) -> Result<FileSaved, FileError> {
    let path = HomePath::parse(&save.path)?;
    if save.text.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            path: path.relative().to_string(),
        });
    }
    if let Some(edited_from) = &save.version {
        let now = read(sandboxes, sandbox, node, &path).await?;
        if now.as_deref().map(version_of).as_ref() != Some(edited_from) {
            return Err(FileError::Changed(path.relative().to_string()));
        }
    }
    let folder = path.folder();
    // `cat >` an existing file keeps its mode (a script stays executable).
    let write = sandboxes
        .exchange_bytes(
            sandbox,
            node,
            &[
                "sh",
                "-c",
                r#"mkdir -p "$1" && cat > "$2""#,
                "sh",
                &folder,
                &path.absolute(),
            ],
            save.text.as_bytes(),
            4096,
        )
        .await?;
    if write.exit_code != 0 {
        return Err(FileError::Unwritable {
            path: path.relative().to_string(),
            why: write.stderr.trim().to_string(),
        });
    }
    Ok(FileSaved {
        path: path.relative().to_string(),
        version: version_of(save.text.as_bytes()),
    })
}

/// The file's bytes; `None` if there is no such file.
async fn read(
    sandboxes: &Sandboxes,
    sandbox: &Sandbox,
    node: &str,
    path: &HomePath,
) -> Result<Option<Vec<u8>>, FileError> {
    // Exit 3: a folder; 4: nothing there; 5: larger than the editor opens.
    let script = format!(
        r#"[ -d "$1" ] && exit 3; [ -f "$1" ] || exit 4; [ "$(stat -c %s "$1")" -le {MAX_FILE_BYTES} ] || exit 5; exec cat "$1""#
    );
    let read = sandboxes
        .exchange_bytes(
            sandbox,
            node,
            &["sh", "-c", &script, "sh", &path.absolute()],
            &[],
            MAX_FILE_BYTES,
        )
        .await?;
    let relative = || path.relative().to_string();
    match read.exit_code {
        _ if read.over_limit => Err(FileError::TooLarge { path: relative() }),
        0 => Ok(Some(read.stdout)),
        3 => Err(FileError::Folder(relative())),
        4 => Ok(None),
        5 => Err(FileError::TooLarge { path: relative() }),
        _ => Err(FileError::Unreadable {
            path: relative(),
            why: read.stderr.trim().to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_in_the_home_folder() {
        for (given, kept) in [
            ("stack.yml", "stack.yml"),
            ("~/counter/app.py", "counter/app.py"),
            ("/root/counter//app.py", "counter/app.py"),
        ] {
            assert_eq!(HomePath::parse(given).unwrap().relative(), kept);
        }
        for outside in [
            "",
            "~/",
            "../etc/passwd",
            "a/../../b",
            "/etc/passwd",
            "./x",
            "a\\b",
        ] {
            assert!(
                matches!(HomePath::parse(outside), Err(FileError::OutsideHome(_))),
                "{outside:?}"
            );
        }
        let nested = HomePath::parse("counter/app.py").unwrap();
        assert_eq!(nested.folder(), "/root/counter");
        assert_eq!(HomePath::parse("a.txt").unwrap().folder(), "/root");
    }
}
