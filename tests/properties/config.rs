//! The typed configuration (`config::Config::parse`): whatever the file holds, the daemon
//! either starts with a config or refuses with an error that names the file and a line
//! within it; an option error names a line of that option's section, holding that option
//! (unless the option is missing, being required).

use std::path::Path;

use hotspotd::config::{uci, Config, ConfigError};

const PATH: &str = "/etc/config/hotspotd";

/// Any text, as it is and under a `config hotspotd 'main'` line (to reach the options).
pub fn check_config_text(text: &str) {
    check_one(text);
    check_one(&format!("config hotspotd 'main'\n{text}"));
}

fn check_one(text: &str) {
    let lines = text.lines().count();
    let result = Config::parse(text, Path::new(PATH));
    if let Err(e) = &result {
        let shown = hotspotd::error_chain(e);
        assert!(shown.starts_with(PATH), "the error does not name the file: {shown}");
    }
    match result {
        Ok(_) => {
            let sections = uci::parse(text).expect("a config that loads is valid UCI");
            assert!(sections.iter().any(|s| s.kind == "hotspotd" && s.name.as_deref() == Some("main")), "{text:?}");
        }
        Err(ConfigError::Syntax { error, .. }) => {
            assert!(error.line >= 1 && error.line <= lines, "syntax error at line {} of {lines}: {text:?}", error.line);
        }
        Err(ConfigError::Invalid { line, key, message, .. }) => {
            assert!(line >= 1 && line <= lines, "{key} at line {line} of {lines}: {text:?}");
            assert!(!message.is_empty(), "{key}: no message");
            // `main.listen` is about option `listen` of the section shown as `main`. A required
            // option that is missing has no line: the error points into its section instead.
            let (label, option) = key.split_once('.').unwrap_or_else(|| panic!("{key} is not section.option"));
            let sections = uci::parse(text).expect("an option error comes after the file parsed");
            let at_line = sections
                .iter()
                .filter(|s| s.name.as_deref().unwrap_or(&s.kind) == label)
                .flat_map(|s| &s.entries)
                .find(|e| e.line == line);
            let Some(entry) = at_line else { panic!("the error names line {line}, not in a section {label}: {key} {message}\n{text:?}") };
            if !message.starts_with("is required") {
                assert_eq!(entry.key, option, "the error names {key} at line {line}, which holds {}: {text:?}", entry.key);
            }
        }
        Err(ConfigError::NoMainSection { .. }) => {
            let sections = uci::parse(text).expect("the main section is looked for after the file parsed");
            assert!(!sections.iter().any(|s| s.kind == "hotspotd" && s.name.as_deref() == Some("main")), "{text:?}");
        }
        Err(e @ ConfigError::Read { .. }) => panic!("parsing text read a file: {e}"),
    }
}
