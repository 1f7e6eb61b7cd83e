//! The UCI file parser (`config::uci::parse`): an error names the first bad line of the
//! file (everything before it parses); what parses is made of valid names at lines in
//! order, and written out again (by the small writer here: the daemon has none) parses to
//! the same sections.

use hotspotd::config::uci::{parse, Entry, Section};

fn is_name(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A value as a double-quoted UCI word (`\` escapes `"` and itself).
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Sections as `uci export` would lay them out.
pub fn write(sections: &[Section]) -> String {
    let mut out = String::from("package hotspotd\n");
    for section in sections {
        match &section.name {
            Some(name) => out.push_str(&format!("\nconfig {} '{name}'\n", section.kind)),
            None => out.push_str(&format!("\nconfig {}\n", section.kind)),
        }
        for entry in &section.entries {
            let keyword = if entry.is_list { "list" } else { "option" };
            out.push_str(&format!("\t{keyword} {} {}\n", entry.key, quoted(&entry.value)));
        }
    }
    out
}

/// A section without line numbers: kind, name, entries (key, value, is_list).
type Content = (String, Option<String>, Vec<(String, String, bool)>);

/// Sections without their line numbers, for comparing a file with its rewrite.
fn content(sections: &[Section]) -> Vec<Content> {
    sections
        .iter()
        .map(|s| (s.kind.clone(), s.name.clone(), s.entries.iter().map(|e| (e.key.clone(), e.value.clone(), e.is_list)).collect()))
        .collect()
}

/// Any text.
pub fn check_uci_text(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    match parse(text) {
        Err(e) => {
            assert!(e.line >= 1 && e.line <= lines.len(), "error at line {} of a {}-line file: {e}\n{text:?}", e.line, lines.len());
            assert!(!e.message.is_empty() && e.to_string().starts_with(&format!("line {}: ", e.line)), "{e}");
            let before = lines[..e.line - 1].join("\n");
            assert!(parse(&before).is_ok(), "line {} is not the first bad line: {e}\n{text:?}", e.line);
        }
        Ok(sections) => {
            let mut last = 0;
            for s in &sections {
                assert!(is_name(&s.kind) && s.name.as_deref().is_none_or(is_name), "bad section name {s:?}");
                assert!(s.line > last && s.line <= lines.len(), "section line {} out of order\n{text:?}", s.line);
                last = s.line;
                for e in &s.entries {
                    assert!(is_name(&e.key), "bad option name {e:?}");
                    assert!(e.line > last && e.line <= lines.len(), "entry line {} out of order\n{text:?}", e.line);
                    assert!(!e.value.contains('\n'), "a value spans lines: {e:?}");
                    last = e.line;
                }
            }
            check_rewrite(&sections);
        }
    }
}

/// Valid sections, written out, parse back to themselves.
pub fn check_rewrite(sections: &[Section]) {
    let text = write(sections);
    let again = parse(&text).unwrap_or_else(|e| panic!("the rewrite does not parse: {e}\n{text}"));
    assert_eq!(content(&again), content(sections), "the rewrite differs:\n{text}");
}

/// Builds a section for the generators (line numbers are not compared).
pub fn section(kind: &str, name: Option<&str>, entries: &[(String, String, bool)]) -> Section {
    Section {
        kind: kind.to_owned(),
        name: name.map(str::to_owned),
        line: 0,
        entries: entries.iter().map(|(key, value, is_list)| Entry { key: key.clone(), value: value.clone(), is_list: *is_list, line: 0 }).collect(),
    }
}
