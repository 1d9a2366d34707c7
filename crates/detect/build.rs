//! Embeds the built-in rules: every `rules/*.yml` (and `*.yaml`) at the
//! repository root except `mapping.yml` (embedded by `mapping.rs`) becomes
//! an `include_str!` entry of `$OUT_DIR/builtin_rules.rs`, sorted by name.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let dir = manifest.join("../../rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed=build.rs");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
            if yaml && name != "mapping.yml" && path.is_file() {
                println!("cargo:rerun-if-changed={}", path.display());
                let abs = fs::canonicalize(&path).unwrap_or(path);
                files.push((name, abs));
            }
        }
    }
    files.sort();
    let mut code = String::from(
        "/// (file name, text) of every embedded rule file, sorted by name.\n\
         pub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    fs::write(&out, code).expect("write builtin_rules.rs");
}
