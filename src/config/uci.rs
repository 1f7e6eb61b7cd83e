//! Parser for OpenWrt's UCI file format (`/etc/config/NAME`), the format operators edit.
//!
//! Pure: text in, sections out, no file access. Supports what `uci export` writes and what
//! people type by hand: `config TYPE ['NAME']`, `option KEY 'VALUE'`, `list KEY 'VALUE'`,
//! single or double quotes, unquoted words, `#` comments and blank lines. Every error names
//! the line number and says what is wrong.

use std::fmt;

/// One `config TYPE 'NAME'` block with its options and lists in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    /// `None` for anonymous sections (`config package`).
    pub name: Option<String>,
    /// Line of the `config` keyword, for error messages.
    pub line: usize,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// `true` for `list`, `false` for `option`.
    pub is_list: bool,
    pub line: usize,
}

impl Section {
    /// The last `option KEY` of this section (UCI: a later option overrides an earlier one).
    pub fn option(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| !e.is_list && e.key == key)
    }

    /// Every `list KEY` value in order.
    pub fn list(&self, key: &str) -> impl Iterator<Item = &Entry> {
        let key = key.to_owned();
        self.entries.iter().filter(move |e| e.is_list && e.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole UCI file.
pub fn parse(text: &str) -> Result<Vec<Section>, ParseError> {
    let mut sections: Vec<Section> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| ParseError { line, message };
        let words = split_words(raw).map_err(err)?;
        let Some((keyword, args)) = words.split_first() else { continue };
        match keyword.as_str() {
            "config" => {
                let (kind, name) = match args {
                    [kind] => (kind, None),
                    [kind, name] => (kind, Some(name.clone())),
                    _ => return Err(err("expected `config TYPE ['NAME']`".into())),
                };
                check_identifier(kind).map_err(err)?;
                if let Some(name) = &name {
                    check_identifier(name).map_err(err)?;
                }
                sections.push(Section { kind: kind.clone(), name, line, entries: Vec::new() });
            }
            "option" | "list" => {
                let [key, value] = args else {
                    return Err(err(format!("expected `{keyword} NAME 'VALUE'`")));
                };
                check_identifier(key).map_err(err)?;
                let Some(section) = sections.last_mut() else {
                    return Err(err(format!("`{keyword} {key}` appears before any `config` line")));
                };
                section.entries.push(Entry {
                    key: key.clone(),
                    value: value.clone(),
                    is_list: keyword == "list",
                    line,
                });
            }
            "package" => {} // `uci export` writes a leading `package NAME`; nothing to keep
            other => {
                return Err(err(format!(
                    "unknown keyword `{other}` (expected config, option or list)"
                )))
            }
        }
    }
    Ok(sections)
}

fn check_identifier(word: &str) -> Result<(), String> {
    let ok = !word.is_empty()
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!("`{word}` is not a valid name (letters, digits, `_` and `-` only)"))
    }
}

/// Splits one line into words, honouring quotes and stopping at an unquoted `#`.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        if first == '#' {
            break;
        }
        let mut word = String::new();
        // A word may join quoted and unquoted parts: foo'bar'"baz" is one word.
        while let Some(&c) = chars.peek() {
            match c {
                c if c.is_whitespace() => break,
                '\'' => {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some('\'') => break,
                            Some(c) => word.push(c),
                            None => return Err("missing closing single quote (')".into()),
                        }
                    }
                }
                '"' => {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => match chars.next() {
                                Some(c) => word.push(c),
                                None => return Err("line ends inside a \\ escape".into()),
                            },
                            Some(c) => word.push(c),
                            None => return Err("missing closing double quote (\")".into()),
                        }
                    }
                }
                '#' if word.is_empty() => break,
                _ => {
                    word.push(c);
                    chars.next();
                }
            }
        }
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_options_and_lists() {
        let text = "\
package hotspotd
# comment
config hotspotd 'main'
\toption interface 'br-lan'
\toption listen \"10.0.0.1:2050\"   # trailing comment
\tlist walled_garden '1.2.3.4/32'
\tlist walled_garden 5.6.7.8

config package
\toption name 'One hour'
";
        let sections = parse(text).unwrap();
        assert_eq!(sections.len(), 2);
        let main = &sections[0];
        assert_eq!(main.kind, "hotspotd");
        assert_eq!(main.name.as_deref(), Some("main"));
        assert_eq!(main.option("interface").unwrap().value, "br-lan");
        assert_eq!(main.option("listen").unwrap().value, "10.0.0.1:2050");
        assert_eq!(main.option("listen").unwrap().line, 5);
        let garden: Vec<_> = main.list("walled_garden").map(|e| e.value.as_str()).collect();
        assert_eq!(garden, ["1.2.3.4/32", "5.6.7.8"]);
        assert_eq!(sections[1].name, None);
        assert_eq!(sections[1].option("name").unwrap().value, "One hour");
    }

    #[test]
    fn later_option_overrides_earlier() {
        let s = parse("config a 'b'\noption x '1'\noption x '2'\n").unwrap();
        assert_eq!(s[0].option("x").unwrap().value, "2");
    }

    #[test]
    fn quotes_escapes_and_empty_values() {
        let s = parse("config a\noption x ''\noption y \"say \\\"hi\\\"\"\noption z 'a#b'\n").unwrap();
        assert_eq!(s[0].option("x").unwrap().value, "");
        assert_eq!(s[0].option("y").unwrap().value, "say \"hi\"");
        assert_eq!(s[0].option("z").unwrap().value, "a#b");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let cases = [
            ("config a\noption x 'unterminated\n", 2, "missing closing single quote"),
            ("option x '1'\n", 1, "before any `config` line"),
            ("config a\n\noption x\n", 3, "expected `option NAME 'VALUE'`"),
            ("config a\nopton x '1'\n", 2, "unknown keyword `opton`"),
            ("config a b c\n", 1, "expected `config TYPE ['NAME']`"),
            ("config a\noption 'bad key' 1\n", 2, "not a valid name"),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.message.contains(needle), "{text:?}: {}", e.message);
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }
}
