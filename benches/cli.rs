//! `appointment-setter slots --json` for 7 days as a whole process on the release build
//! (issue target: ≤ 30 ms wall time, including start-up, config, migration check and query).

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

const BIN: &str = env!("CARGO_BIN_EXE_appointment-setter");

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("appointment-setter.toml");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"), &config).unwrap();
    let run = || {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["--now", "2026-12-07T14:00:00Z", "slots", "--service", "consultation", "--days", "7", "--json"])
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout.len()
    };
    assert!(run() > 1000, "creates and migrates the database, and finds slots");
    let mut group = c.benchmark_group("cli");
    group.sample_size(50);
    group.bench_function("slots_json_7_days_process", |b| b.iter(run));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
