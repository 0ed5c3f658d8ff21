//! Any text as a lesson file: the parser never panics, and every error it reports names
//! the file and a line of it.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // The markdown crate panics on a few inputs (wooorm/markdown-rs#31), which the
        // parser catches and reports as a lesson error. libfuzzer's hook would abort on
        // those before the parser sees them: let them through, and only them.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |panic| {
            let in_markdown = panic
                .location()
                .is_some_and(|at| at.file().contains("/markdown-1."));
            if !in_markdown {
                abort(panic);
            }
        }));
    },
    |source: &str| {
    let file = Path::new("lessons/01-track/01-fuzzed.md");
    if let Err(error) = slipway::lessons::parse_lesson(file, "fuzzed", source) {
        let lines = source.lines().count().max(1);
        assert_eq!(error.file, file, "the error names the file");
        assert!(
            (1..=lines + 1).contains(&error.line),
            "line {} of a {lines}-line file: {error}",
            error.line
        );
    }
}
);
