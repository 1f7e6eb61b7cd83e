//! Typed reading of one UCI section: each getter turns a bad value into
//! `ConfigError::Invalid` naming the file, line, `section.option` and what is expected.

use std::path::Path;

use super::{uci, ConfigError, Secret};

/// Reads typed options from one section, turning bad values into `ConfigError::Invalid`.
pub(crate) struct SectionReader<'a> {
    pub path: &'a Path,
    pub section: &'a uci::Section,
}

impl SectionReader<'_> {
    pub fn option(&self, key: &str) -> Option<&uci::Entry> {
        self.section.option(key)
    }

    pub fn invalid(&self, entry: &uci::Entry, message: String) -> ConfigError {
        let section = self.section.name.as_deref().unwrap_or(&self.section.kind);
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line: entry.line,
            key: format!("{section}.{}", entry.key),
            message,
        }
    }

    /// A misspelt option would otherwise be ignored silently: name it.
    pub fn check_known(&self, known: &[&str]) -> Result<(), ConfigError> {
        match self.section.entries.iter().find(|e| !known.contains(&e.key.as_str())) {
            None => Ok(()),
            Some(e) => Err(self.invalid(e, format!("unknown option (known: {})", known.join(", ")))),
        }
    }

    /// A non-empty string; an empty value counts as "not set".
    pub fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        Ok(self.option(key).filter(|e| !e.value.is_empty()).map(|e| e.value.clone()))
    }

    pub fn url(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.option(key).filter(|e| !e.value.is_empty()) {
            None => Ok(None),
            Some(e) if e.value.starts_with("http://") || e.value.starts_with("https://") => {
                Ok(Some(e.value.clone()))
            }
            Some(e) => Err(self.invalid(e, format!("`{}` must start with http:// or https://", e.value))),
        }
    }

    pub fn parsed<T: std::str::FromStr>(&self, key: &str, expected: &str) -> Result<Option<T>, ConfigError> {
        match self.option(key).filter(|e| !e.value.is_empty()) {
            None => Ok(None),
            Some(e) => e
                .value
                .parse()
                .map(Some)
                .map_err(|_| self.invalid(e, format!("`{}` is not {expected}", e.value))),
        }
    }

    pub fn parsed_in<T>(&self, key: &str, range: std::ops::RangeInclusive<T>, expected: &str) -> Result<Option<T>, ConfigError>
    where
        T: std::str::FromStr + PartialOrd,
    {
        let value = self.parsed::<T>(key, expected)?;
        match (value, self.option(key)) {
            (Some(v), Some(e)) if !range.contains(&v) => {
                Err(self.invalid(e, format!("`{}` is out of range: expected {expected}", e.value)))
            }
            (v, _) => Ok(v),
        }
    }
}


impl SectionReader<'_> {
    /// UCI booleans: 1/0, true/false, yes/no, on/off.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.option(key).filter(|e| !e.value.is_empty()) {
            None => Ok(None),
            Some(e) => match e.value.as_str() {
                "1" | "true" | "yes" | "on" | "enabled" => Ok(Some(true)),
                "0" | "false" | "no" | "off" | "disabled" => Ok(Some(false)),
                other => Err(self.invalid(e, format!("`{other}` is not 1 or 0"))),
            },
        }
    }

    /// A number of seconds within `range` (whole seconds), or `default` when not set.
    pub fn seconds(&self, key: &str, range: std::ops::RangeInclusive<u64>, default: std::time::Duration) -> Result<std::time::Duration, ConfigError> {
        let expected = format!("seconds, from {} to {}", range.start(), range.end());
        Ok(self.parsed_in(key, range, &expected)?.map(std::time::Duration::from_secs).unwrap_or(default))
    }

    /// A value that must never be logged.
    pub fn secret(&self, key: &str) -> Result<Secret, ConfigError> {
        Ok(Secret(self.string(key)?.unwrap_or_default()))
    }

    /// One of a fixed set of words.
    pub fn choice<T: Copy>(&self, key: &str, choices: &[(&str, T)]) -> Result<Option<T>, ConfigError> {
        match self.option(key).filter(|e| !e.value.is_empty()) {
            None => Ok(None),
            Some(e) => match choices.iter().find(|(word, _)| *word == e.value) {
                Some((_, value)) => Ok(Some(*value)),
                None => {
                    let words: Vec<String> = choices.iter().map(|(w, _)| format!("`{w}`")).collect();
                    Err(self.invalid(e, format!("`{}` is not one of {}", e.value, words.join(", "))))
                }
            },
        }
    }
}
