//! Config problems that name the file, line and column, so `portvakt check` can point at them.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a config, users or policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file the problem is in.
    pub file: PathBuf,
    /// 1-based line and column, where a position applies.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{}:{}: {}", self.file.display(), line, col, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found while loading a config, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// The text of one file, kept to turn byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as given (relative paths stay relative, as the user typed them).
    pub path: PathBuf,
    /// Full text.
    pub text: String,
}

impl SourceFile {
    /// Reads a file, turning an I/O failure into a positionless error naming the file.
    pub fn read(path: &Path) -> Result<SourceFile, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(SourceFile { path: path.to_path_buf(), text }),
            Err(e) => {
                Err(ConfigError { file: path.to_path_buf(), position: None, message: format!("cannot read file: {e}") })
            }
        }
    }

    /// 1-based line and column of a byte offset (for many positions in one file, build a [`LineIndex`] once).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        LineIndex::new(&self.text).line_col(offset)
    }

    /// An error at a byte span of this file.
    pub fn error_at(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        ConfigError { file: self.path.clone(), position: span.map(|s| self.line_col(s.start)), message: message.into() }
    }

    /// Deserializes the whole file as TOML, turning a syntax or type error into a positioned error.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str::<T>(&self.text).map_err(|e| {
            let msg = e.message().trim().to_string();
            self.error_at(e.span(), msg)
        })
    }
}

/// Line starts of a text, so each position costs a binary search rather than a scan from the top (loading 1,000
/// policy rules took over 100 ms with scans). The one place that turns byte offsets into line and column.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end count as the end.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(i).copied().unwrap_or(0);
        let col = self.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(0);
        (i + 1, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte offsets map to 1-based line and column, counting characters not bytes.
    #[test]
    fn line_col_counts_lines_and_chars() {
        let f = SourceFile { path: "x.toml".into(), text: "a = 1\nbå = 2\n".into() };
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        assert_eq!(f.line_col(9), (2, 3));
        assert_eq!(f.line_col(5), (1, 6));
        assert_eq!(f.line_col(100), (3, 1));
        let e = f.error_at(Some(6..7), "bad");
        assert_eq!(e.to_string(), "x.toml:2:1: bad");
    }

    /// The line index agrees with a plain scan from the top at every character boundary, past the end too.
    #[test]
    fn line_index_agrees_with_a_scan() {
        let text = "a = 1\nbå = 2\n\nc = 3";
        let idx = LineIndex::new(text);
        for offset in (0..=text.len() + 2).filter(|o| text.is_char_boundary((*o).min(text.len()))) {
            let before = &text[..offset.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before[before.rfind('\n').map(|i| i + 1).unwrap_or(0)..].chars().count() + 1;
            assert_eq!(idx.line_col(offset), (line, col), "offset {offset}");
        }
    }
}
