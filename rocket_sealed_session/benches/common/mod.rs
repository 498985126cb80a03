//! Shared by the criterion benchmarks: after criterion has run, read its
//! estimates back from `target/criterion` and print ns/op next to a
//! reference case (the raw AEAD floor, or the route without a session).

use std::path::PathBuf;

/// Where criterion 0.5 writes its results: `CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`
/// (the package's own `target/` when it is built on its own).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let package = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = package.join("..").join("target").join("criterion");
    match workspace.is_dir() {
        true => workspace,
        false => package.join("target").join("criterion"),
    }
}

/// The median estimate in ns of one benchmark (`group/function/parameter`,
/// as criterion names its directories), if this run produced one.
pub fn median_ns(id: &str) -> Option<f64> {
    let path = criterion_dir().join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("median")?.get("point_estimate")?.as_f64()
}

/// Prints a markdown table: each row's ns/op, and its ratio to and
/// difference from its reference row. Rows without an estimate (filtered
/// out, or `--test` mode) print `n/a`.
pub fn print_table(title: &str, rows: &[(String, String)]) {
    println!("\n{title}\n");
    println!("| benchmark | ns/op | reference | ratio | difference ns |");
    println!("|---|---:|---|---:|---:|");
    for (id, reference) in rows {
        match (median_ns(id), median_ns(reference)) {
            (Some(ns), Some(base)) => {
                println!("| {id} | {ns:.0} | {reference} | {:.2}× | {:+.0} |", ns / base, ns - base)
            }
            (Some(ns), None) => println!("| {id} | {ns:.0} | {reference} | n/a | n/a |"),
            _ => println!("| {id} | n/a | {reference} | n/a | n/a |"),
        }
    }
}
