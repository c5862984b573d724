//! Replays the fuzz corpus on the stable toolchain: every file under `fuzz/corpus/<target>/`
//! (and `fuzz/regressions/<target>/`, where minimised findings live) runs through the same
//! body the fuzz target runs. A missing or empty corpus directory fails the test, so it can
//! never pass by testing nothing.

#[path = "../../fuzz/src/lib.rs"]
mod bodies;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files directly inside `dir`, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` over every file; returns one line per file that panicked.
fn replay(files: &[PathBuf], body: fn(&[u8])) -> Vec<String> {
    let mut failures = Vec::new();
    for path in files {
        let data = fs::read(path).expect("readable corpus file");
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| body(&data))) {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            failures.push(format!("{}: {msg}", path.display()));
        }
    }
    failures
}

#[test]
fn every_target_has_a_seed_corpus_and_replays_it() {
    let root = fuzz_dir();
    let mut failures = Vec::new();
    for &(name, body) in bodies::TARGETS {
        let corpus = files_in(&root.join("corpus").join(name));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{name}/ is empty: the replay would test nothing"
        );
        failures.extend(replay(&corpus, body));
        let regressions = root.join("regressions").join(name);
        if regressions.exists() {
            failures.extend(replay(&files_in(&regressions), body));
        }
    }
    assert!(
        failures.is_empty(),
        "corpus inputs failed:\n{}",
        failures.join("\n")
    );
}

/// Targets whose body needs a feature this build of the core lacks.
const NOT_BUILT: &[&str] = &[
    #[cfg(not(feature = "tls"))]
    "tls_server_conn",
];

#[test]
fn every_fuzz_target_file_has_a_body() {
    let targets = files_in(&fuzz_dir().join("fuzz_targets"));
    assert!(!targets.is_empty());
    for path in targets {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if NOT_BUILT.contains(&stem) {
            continue;
        }
        assert!(
            bodies::TARGETS.iter().any(|&(name, _)| name == stem),
            "{} has no entry in TARGETS",
            path.display()
        );
    }
}
