//! The real programs some tests drive (chromium, chromedriver, nginx,
//! openssl), and the rule for when one is missing: under plain
//! `cargo test` the test says it was SKIPPED (on the terminal, even when
//! output is captured) and passes; with `CI=true` (or `CI=1`) it fails.

use std::path::PathBuf;

use super::say;

/// A program a test needs.
pub struct Component {
    /// Its file name on the `PATH`.
    pub name: &'static str,
    /// The variable that points at another binary.
    pub env_var: &'static str,
    /// Where else to look (sbin directories are not always on the `PATH`).
    pub also: &'static [&'static str],
    /// How to install it.
    pub install: &'static str,
}

pub const CHROMIUM: Component =
    Component { name: "chromium", env_var: "CHROMIUM", also: &[], install: "`.ci/browser-deps`" };

pub const CHROMEDRIVER: Component = Component {
    name: "chromedriver",
    env_var: "CHROMEDRIVER",
    also: &[],
    install: "`.ci/browser-deps`",
};

pub const NGINX: Component = Component {
    name: "nginx",
    env_var: "NGINX",
    also: &["/usr/sbin/nginx", "/usr/local/sbin/nginx"],
    install: "`apt-get install nginx`",
};

pub const OPENSSL: Component = Component {
    name: "openssl",
    env_var: "OPENSSL",
    also: &[],
    install: "`apt-get install openssl`",
};

impl Component {
    /// `$ENV_VAR` if set (it must be a file), else the first `name` on the
    /// `PATH`, else the first of [`Component::also`] that exists.
    pub fn find(&self) -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(self.env_var) {
            let path = PathBuf::from(path);
            return path.is_file().then_some(path);
        }
        let on_path = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path).map(|dir| dir.join(self.name)).find(|p| p.is_file())
        });
        on_path.or_else(|| self.also.iter().map(PathBuf::from).find(|p| p.is_file()))
    }
}

/// Whether a missing component fails the run: `CI=true` or `CI=1`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1")
}

/// The paths of `components`, in order; or `None`, after saying
/// "`what` SKIPPED: ... not found ...", when one is missing.
///
/// # Panics
///
/// When one is missing and [`under_ci`].
pub fn require<const N: usize>(what: &str, components: [&Component; N]) -> Option<[PathBuf; N]> {
    let found = components.map(Component::find);
    let missing: Vec<&Component> =
        components.iter().zip(&found).filter(|(_, path)| path.is_none()).map(|(c, _)| *c).collect();
    if missing.is_empty() {
        return Some(found.map(|path| path.unwrap_or_default()));
    }
    let names: Vec<&str> = missing.iter().map(|c| c.name).collect();
    let mut installs: Vec<&str> = missing.iter().map(|c| c.install).collect();
    installs.dedup();
    let variables: Vec<String> = missing.iter().map(|c| format!("{}=<path>", c.env_var)).collect();
    let missing = format!(
        "{} not found (install with {}, or set {})",
        names.join(", "),
        installs.join(" and "),
        variables.join(" / ")
    );
    if under_ci() {
        panic!("{what} FAILED: {missing}; CI=true requires the real components");
    }
    say(&format!("{what} SKIPPED: {missing}"));
    None
}
