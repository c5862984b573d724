//! A typed handler whose argument or result type does not convert is refused at compile
//! time with an error that names that type (`#[diagnostic::on_unimplemented]` on
//! `FromValue`, `IntoValue`, `IntoResult` and the handler traits). Checked by compiling a
//! small crate against this one, as a user's would be.

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = r#"
use netloom_core::xmlrpc::{CallContext, Dispatcher};

struct Point {
    x: i32,
}

fn main() {
    let mut d = Dispatcher::new();
    d.register("by_point", |p: Point| p.x);
    d.register("to_point", |x: i32| Point { x });
    d.register("mixed", |a: i32, when: std::time::Instant| a + when.elapsed().as_secs() as i32);
    d.register_with_context("ctx", |_ctx: &CallContext, p: Point| p.x);
    d.register("seven", |a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32| a + b + c + d + e + f + g);
}
"#;

/// The directory cargo builds this test's package into (`target/`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test>
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn unsupported_argument_and_result_types_are_named_in_the_error() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = target_dir().join("diagnostics-fixture");
    let krate = target.join("crate");
    write(
        &krate.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"fixture\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nnetloom-core = {{ path = {:?} }}\n\n[workspace]\n",
            core.display().to_string()
        ),
    );
    write(&krate.join("src/main.rs"), FIXTURE);
    // The workspace's lock, so the fixture builds the same dependency versions offline.
    let lock = core.parent().unwrap().join("Cargo.lock");
    std::fs::copy(&lock, krate.join("Cargo.lock")).unwrap();

    let out = Command::new(env!("CARGO"))
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", target.join("target"))
        .args(["check", "--quiet", "--message-format", "short"])
        .output()
        .expect("run cargo");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the fixture compiled:\n{errors}");
    // (line of the fixture, what its error says)
    let expect = [
        // The argument type, named.
        (10, "error[E0277]: `Point` cannot be read from an XML-RPC value: `Point` does not implement `FromValue`"),
        // The result type, named.
        (11, "error[E0277]: `Point` cannot be the result of an XML-RPC method: `Point` does not implement `IntoResult`"),
        // A later argument's type, named.
        (12, "error[E0277]: `Instant` cannot be read from an XML-RPC value"),
        // The same for a handler that takes the context.
        (13, "error[E0277]: `Point` cannot be read from an XML-RPC value"),
        // Seven arguments is no handler at all.
        (14, "is not an XML-RPC method handler"),
    ];
    for (line, needle) in expect {
        let at = format!("main.rs:{line}:");
        assert!(
            errors
                .lines()
                .any(|l| l.contains(&at) && l.contains(needle)),
            "no error at line {line} containing {needle:?} in:\n{errors}"
        );
    }
}
