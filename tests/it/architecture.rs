//! The house rules, checked on the source: every file under `src/` may name (`crate::part`) only
//! parts below its own, `domain` names nothing of the crate, and only `booking` (and `store`,
//! which defines it) touches the per-staff write transaction that appointment changes run in.
//! Layers, top to bottom: cli → http, demo, startup → ingest, setup → voice, messaging → conversation →
//! booking, accounts → calendar, store, telnyx → config, clock, net, observability, secrets → domain.

use std::path::{Path, PathBuf};

/// Each part and its layer (higher = closer to the user).
const LAYERS: &[(&str, u8)] = &[
    ("cli", 9),
    ("http", 8),
    ("demo", 8),
    ("startup", 8),
    ("ingest", 7),
    ("setup", 7),
    ("voice", 6),
    ("chat", 6),
    ("messaging", 6),
    ("conversation", 5),
    ("booking", 4),
    ("accounts", 4),
    ("calendar", 3),
    ("store", 3),
    ("telnyx", 3),
    ("config", 2),
    ("clock", 2),
    ("net", 2),
    ("observability", 2),
    ("secrets", 2),
    ("domain", 1),
];

/// Imports between parts of one layer that are allowed: the wiring that builds the server.
const SIDEWAYS: &[(&str, &str)] = &[("demo", "http"), ("demo", "startup"), ("startup", "http")];

/// Recording an opt-out or opt-in: only messaging's `opt_out.rs` does it, whatever the signal.
const OPT_OUT_WRITES: &[&str] = &["opt_outs().record(", "opt_outs().clear("];

/// Names that mean "writes appointments": only `booking` may use them (`store` defines them).
const APPOINTMENT_WRITES: &[&str] = &["StaffTx", "begin_for_staff", "insert_appointment", "move_appointment"];

fn layer(part: &str) -> Option<u8> {
    LAYERS.iter().find(|(p, _)| *p == part).map(|(_, l)| *l)
}

/// The part a file under `src/` belongs to (`src/booking/book.rs` → `booking`, `src/clock.rs` → `clock`).
fn part_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let part = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(part, "lib" | "main")).then(|| part.to_string())
}

/// Everything wrong with one file's source, as `file:line: problem` lines.
fn violations(file: &str, part: &str, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Some(own) = layer(part) else {
        return vec![format!("{file}: part `{part}` has no layer in tests/it/architecture.rs")];
    };
    for (n, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" //").next().unwrap_or(code);
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name == part || name.is_empty() {
                continue;
            }
            let allowed = match layer(&name) {
                None => false,
                Some(_) if part == "domain" => false,
                Some(other) => other < own || (other == own && SIDEWAYS.contains(&(part, name.as_str()))),
            };
            if !allowed {
                let other = layer(&name).map_or("no layer".to_string(), |l| format!("layer {l}"));
                found.push(format!(
                    "{file}:{}: `{part}` (layer {own}) must not import `{name}` ({other}): {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
        if part != "booking" && part != "store" {
            for word in APPOINTMENT_WRITES {
                if code.contains(word) {
                    found.push(format!(
                        "{file}:{}: `{part}` uses `{word}`: only the booking service writes appointments",
                        n + 1
                    ));
                }
            }
        }
    }
    found
}

/// Opt-outs recorded anywhere but the one place for them.
fn scattered_opt_outs(file: &str, source: &str) -> Vec<String> {
    if file == "src/messaging/opt_out.rs" {
        return Vec::new();
    }
    let lines = source.lines().enumerate().filter(|(_, l)| OPT_OUT_WRITES.iter().any(|w| l.contains(w)));
    lines.map(|(n, _)| format!("{file}:{}: opt-outs are recorded only in src/messaging/opt_out.rs", n + 1)).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_part_imports_only_parts_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "found the sources: {files:?}");
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap();
        let Some(part) = part_of(relative) else { continue };
        let source = std::fs::read_to_string(path).unwrap();
        let file = format!("src/{}", relative.display());
        problems.extend(violations(&file, &part, &source));
        problems.extend(scattered_opt_outs(&file, &source));
    }
    assert!(problems.is_empty(), "imports that point the wrong way:\n{}", problems.join("\n"));
}

#[test]
fn the_check_names_the_file_and_line_of_a_forbidden_import() {
    let upward =
        "//! doc mentioning crate::cli is fine\nuse crate::domain::Business;\nuse crate::voice::VoiceHandler;\n";
    assert_eq!(
        violations("src/booking/x.rs", "booking", upward),
        ["src/booking/x.rs:3: `booking` (layer 4) must not import `voice` (layer 6): use crate::voice::VoiceHandler;"]
    );
    let sideways = "let s = crate::messaging::templates::help(biz);";
    assert_eq!(violations("src/voice/x.rs", "voice", sideways).len(), 1, "voice and messaging are peers");
    assert!(violations("src/demo/mod.rs", "demo", "use crate::startup::{self, ServerParts};").is_empty());
    let pure = "use crate::config::Config;";
    assert_eq!(violations("src/domain/x.rs", "domain", pure).len(), 1, "domain imports nothing");
    let writes = "let tx = self.store.begin_for_staff(&[&staff]).await?;";
    assert_eq!(violations("src/messaging/x.rs", "messaging", writes).len(), 1);
    assert!(violations("src/booking/x.rs", "booking", writes).is_empty());
    assert_eq!(violations("src/widgets/x.rs", "widgets", "").len(), 1, "a new part needs a layer");
    let opt_out = "store.opt_outs().record(&phone, \"40300\", now).await?;";
    assert_eq!(scattered_opt_outs("src/ingest/router.rs", opt_out).len(), 1);
    assert!(scattered_opt_outs("src/messaging/opt_out.rs", opt_out).is_empty());
}
