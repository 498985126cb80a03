//! Secrets read from files, as Docker and Kubernetes mount them: `secret_file`
//! holds one base64 secret, `old_secrets_file` one per line (blank lines
//! and `#` comments ignored). Read at launch and again by a key-ring reload.

use std::path::{Path, PathBuf};

use super::error::Error;
use super::secret::Secret;

/// Where the current and the old secrets come from: values written in the
/// configuration, or files read at launch and on every reload.
#[derive(Clone, Debug, Default)]
pub(crate) struct SecretSources {
    /// The current secret's file, if it comes from one.
    pub secret_file: Option<PathBuf>,
    /// The old secrets' file, if they come from one.
    pub old_secrets_file: Option<PathBuf>,
    /// Documents whose printed values are refused.
    pub published: Vec<&'static str>,
}

impl SecretSources {
    /// Whether a reload has anything to re-read.
    pub fn has_files(&self) -> bool {
        self.secret_file.is_some() || self.old_secrets_file.is_some()
    }

    /// The current secret from its file, if it comes from one.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the file and what is wrong with it.
    pub fn read_secret(&self) -> Result<Option<Secret>, Error> {
        let Some(path) = &self.secret_file else { return Ok(None) };
        let text = read(path, "secret_file")?;
        let secret = Secret::from_base64_refusing(text.trim(), &self.published)
            .map_err(|err| in_file(path, "secret_file", err))?;
        Ok(Some(secret))
    }

    /// The old secrets from their file, if they come from one.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the file, the line and what is wrong.
    pub fn read_old_secrets(&self) -> Result<Option<Vec<Secret>>, Error> {
        let Some(path) = &self.old_secrets_file else { return Ok(None) };
        let text = read(path, "old_secrets_file")?;
        text.lines()
            .enumerate()
            .map(|(i, line)| (i + 1, line.trim()))
            .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
            .map(|(number, line)| {
                Secret::from_base64_refusing(line, &self.published)
                    .map_err(|err| in_file(path, &format!("old_secrets_file line {number}"), err))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

fn read(path: &Path, key: &str) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|err| Error::Config(format!("{key} {}: cannot be read ({err})", path.display())))
}

fn in_file(path: &Path, what: &str, err: Error) -> Error {
    match err {
        Error::Config(msg) => Error::Config(format!("{what} {}: {msg}", path.display())),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sealed-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_secret_file_is_read_trimmed_and_checked() {
        let secret = Secret::generate().to_base64();
        let path = scratch("current", &format!("{secret}\n"));
        let sources = SecretSources { secret_file: Some(path.clone()), ..Default::default() };
        let read = sources.read_secret().unwrap().unwrap();
        assert_eq!(read.to_base64(), secret);
        std::fs::write(&path, "short").unwrap();
        let err = sources.read_secret().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("secret_file") && err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn old_secrets_are_one_per_line_with_comments_and_blanks() {
        let (a, b) = (Secret::generate().to_base64(), Secret::generate().to_base64());
        let path = scratch("old", &format!("# retired soon\n{a}\n\n  {b}  \n"));
        let sources = SecretSources { old_secrets_file: Some(path.clone()), ..Default::default() };
        let old = sources.read_old_secrets().unwrap().unwrap();
        assert_eq!(old.iter().map(Secret::to_base64).collect::<Vec<_>>(), [a, b]);
        std::fs::write(&path, "# one bad line\nnot base64 at all!\n").unwrap();
        let err = sources.read_old_secrets().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_missing_file_says_which_and_why() {
        let sources = SecretSources {
            secret_file: Some(PathBuf::from("/nonexistent/secret")),
            ..Default::default()
        };
        let err = sources.read_secret().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("/nonexistent/secret") && err.contains("cannot be read"), "{err}");
    }
}
