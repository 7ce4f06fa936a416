//! Parsing of space files (format documented in schema/spaces/mnas.toml) into blocks and
//! decisions. Parsed by hand from `toml::Table` rather than serde so that every error names
//! the exact field path (`blocks[2].decisions[1].choices`) and unknown keys are rejected.

use std::collections::BTreeMap;

use super::error::SpaceError;

/// One categorical decision: the controller picks one of `choices` by index.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub name: String,
    /// Choice labels in token order; decoders interpret them (e.g. "5" as a kernel size).
    pub choices: Vec<String>,
    /// Display only: printed before the label by `Space::describe` (e.g. "k" -> "k5").
    pub prefix: String,
    /// Display only: one label per choice used by `Space::describe` (defaults to `choices`).
    pub short: Vec<String>,
}

impl Decision {
    /// The compact display form of a choice, e.g. "k5"; "?" for an invalid token.
    pub fn display(&self, token: u8) -> String {
        match self.short.get(usize::from(token)) {
            Some(label) => format!("{}{}", self.prefix, label),
            None => format!("{}?{}", self.prefix, token),
        }
    }
}

/// A block of decisions, with optional base values its decoder needs (e.g. base channels).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub name: String,
    pub base: BTreeMap<String, f64>,
    pub decisions: Vec<Decision>,
}

/// The content of a space file after validation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Parsed {
    pub name: String,
    pub globals: BTreeMap<String, f64>,
    pub blocks: Vec<Block>,
}

/// Tokens are `u8`, so a decision can hold at most this many choices.
const MAX_CHOICES: usize = 256;

/// Error construction bound to one origin (file path or a caller-given label).
struct Ctx<'a> {
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> SpaceError {
        SpaceError::Field {
            origin: self.origin.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn reject_unknown(
        &self,
        table: &toml::Table,
        path: &str,
        allowed: &[&str],
    ) -> Result<(), SpaceError> {
        match table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => Err(self.err(
                &join(path, key),
                format!("unknown field (allowed: {})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn string(&self, value: Option<&toml::Value>, field: &str) -> Result<String, SpaceError> {
        match value {
            None => Err(self.err(field, "missing")),
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(toml::Value::String(_)) => Err(self.err(field, "must not be empty")),
            Some(other) => Err(self.err(
                field,
                format!("must be a string, found {}", other.type_str()),
            )),
        }
    }

    fn strings(&self, value: &toml::Value, field: &str) -> Result<Vec<String>, SpaceError> {
        let items = value.as_array().ok_or_else(|| {
            self.err(
                field,
                format!("must be an array of strings, found {}", value.type_str()),
            )
        })?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.string(Some(item), &format!("{field}[{i}]")))
            .collect()
    }

    fn numbers(
        &self,
        value: Option<&toml::Value>,
        field: &str,
    ) -> Result<BTreeMap<String, f64>, SpaceError> {
        let Some(value) = value else {
            return Ok(BTreeMap::new());
        };
        let table = value.as_table().ok_or_else(|| {
            self.err(
                field,
                format!("must be a table of numbers, found {}", value.type_str()),
            )
        })?;
        let mut out = BTreeMap::new();
        for (key, v) in table {
            let number = match v {
                // i64 -> f64 is exact for every value a space file plausibly holds (< 2^53).
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) if f.is_finite() => *f,
                other => {
                    return Err(self.err(
                        &join(field, key),
                        format!("must be a finite number, found {}", other.type_str()),
                    ))
                }
            };
            out.insert(key.clone(), number);
        }
        Ok(out)
    }

    fn decision(&self, value: &toml::Value, path: &str) -> Result<Decision, SpaceError> {
        let table = value.as_table().ok_or_else(|| {
            self.err(path, format!("must be a table, found {}", value.type_str()))
        })?;
        self.reject_unknown(table, path, &["name", "choices", "prefix", "short"])?;
        let name = self.string(table.get("name"), &join(path, "name"))?;
        let choices_path = join(path, "choices");
        let choices = match table.get("choices") {
            None => return Err(self.err(&choices_path, "missing")),
            Some(v) => self.strings(v, &choices_path)?,
        };
        if choices.is_empty() {
            return Err(self.err(&choices_path, "must list at least one choice"));
        }
        if choices.len() > MAX_CHOICES {
            return Err(self.err(
                &choices_path,
                format!(
                    "has {} choices, at most {MAX_CHOICES} fit a token",
                    choices.len()
                ),
            ));
        }
        if let Some(dup) = first_duplicate(&choices) {
            return Err(self.err(&choices_path, format!("choice `{dup}` is listed twice")));
        }
        let prefix = match table.get("prefix") {
            None => String::new(),
            Some(toml::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(self.err(
                    &join(path, "prefix"),
                    format!("must be a string, found {}", other.type_str()),
                ))
            }
        };
        let short_path = join(path, "short");
        let short = match table.get("short") {
            None => choices.clone(),
            Some(v) => self.strings(v, &short_path)?,
        };
        if short.len() != choices.len() {
            return Err(self.err(
                &short_path,
                format!(
                    "has {} labels but `choices` has {}",
                    short.len(),
                    choices.len()
                ),
            ));
        }
        Ok(Decision {
            name,
            choices,
            prefix,
            short,
        })
    }

    fn decisions(&self, value: &toml::Value, path: &str) -> Result<Vec<Decision>, SpaceError> {
        let items = value.as_array().ok_or_else(|| {
            self.err(
                path,
                format!("must be an array of tables, found {}", value.type_str()),
            )
        })?;
        if items.is_empty() {
            return Err(self.err(path, "must list at least one decision"));
        }
        let decisions = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.decision(item, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let names: Vec<String> = decisions.iter().map(|d| d.name.clone()).collect();
        if let Some(dup) = first_duplicate(&names) {
            return Err(self.err(path, format!("decision name `{dup}` is used twice")));
        }
        Ok(decisions)
    }
}

/// Parses and validates a space file's text; `origin` (usually the path) prefixes errors.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Parsed, SpaceError> {
    let ctx = Ctx { origin };
    let root: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| SpaceError::Toml {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
    ctx.reject_unknown(&root, "", &["name", "globals", "decisions", "blocks"])?;
    let name = ctx.string(root.get("name"), "name")?;
    let globals = ctx.numbers(root.get("globals"), "globals")?;
    let default_decisions = root
        .get("decisions")
        .map(|v| ctx.decisions(v, "decisions"))
        .transpose()?;

    let blocks_value = root
        .get("blocks")
        .ok_or_else(|| ctx.err("blocks", "missing"))?;
    let items = blocks_value.as_array().ok_or_else(|| {
        ctx.err(
            "blocks",
            format!(
                "must be an array of tables, found {}",
                blocks_value.type_str()
            ),
        )
    })?;
    if items.is_empty() {
        return Err(ctx.err("blocks", "must list at least one block"));
    }
    let mut blocks = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("blocks[{i}]");
        let table = item
            .as_table()
            .ok_or_else(|| ctx.err(&path, format!("must be a table, found {}", item.type_str())))?;
        ctx.reject_unknown(table, &path, &["name", "base", "decisions"])?;
        let block_name = ctx.string(table.get("name"), &join(&path, "name"))?;
        let base = ctx.numbers(table.get("base"), &join(&path, "base"))?;
        let decisions_path = join(&path, "decisions");
        let decisions = match (table.get("decisions"), &default_decisions) {
            (Some(v), _) => ctx.decisions(v, &decisions_path)?,
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(ctx.err(
                    &decisions_path,
                    "missing (and no top-level `decisions` default is given)",
                ))
            }
        };
        blocks.push(Block {
            name: block_name,
            base,
            decisions,
        });
    }
    let block_names: Vec<String> = blocks.iter().map(|b| b.name.clone()).collect();
    if let Some(dup) = first_duplicate(&block_names) {
        return Err(ctx.err("blocks", format!("block name `{dup}` is used twice")));
    }
    Ok(Parsed {
        name,
        globals,
        blocks,
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn first_duplicate(items: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .find(|item| !seen.insert(item.as_str()))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
[[decisions]]
name = "op"
choices = ["a", "b"]
[[blocks]]
name = "b1"
"#;

    /// Parses `text` and returns (field, message) of the expected `Field` error.
    fn field_error(text: &str) -> (String, String) {
        match parse(text, "file.toml") {
            Err(SpaceError::Field {
                origin,
                field,
                message,
            }) => {
                assert_eq!(origin, "file.toml");
                (field, message)
            }
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn good_space_parses() {
        let p = parse(GOOD, "file.toml").unwrap();
        assert_eq!(p.blocks.len(), 1);
        assert_eq!(p.blocks[0].decisions[0].short, vec!["a", "b"]);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: Vec<(String, &str, &str)> = vec![
            (GOOD.replace("name = \"t\"", ""), "name", "missing"),
            (GOOD.replace("name = \"t\"", "name = \"\""), "name", "empty"),
            (
                GOOD.replace("[\"a\", \"b\"]", "[]"),
                "decisions[0].choices",
                "at least one",
            ),
            (
                GOOD.replace("[\"a\", \"b\"]", "[\"a\", 3]"),
                "decisions[0].choices[1]",
                "string",
            ),
            (
                GOOD.replace("[\"a\", \"b\"]", "[\"a\", \"a\"]"),
                "decisions[0].choices",
                "twice",
            ),
            (
                GOOD.replace("choices = [\"a\", \"b\"]", ""),
                "decisions[0].choices",
                "missing",
            ),
            (
                GOOD.replace("name = \"b1\"", "name = \"b1\"\ndecsions = 1"),
                "blocks[0].decsions",
                "unknown",
            ),
            (
                GOOD.replace("name = \"b1\"", "name = \"b1\"\nbase = { c = \"x\" }"),
                "blocks[0].base.c",
                "number",
            ),
            (
                GOOD.replace("name = \"b1\"", "name = \"b1\"\ndecisions = []"),
                "blocks[0].decisions",
                "at least one",
            ),
            (
                GOOD.replace(
                    "choices = [\"a\", \"b\"]",
                    "choices = [\"a\", \"b\"]\nshort = [\"a\"]",
                ),
                "decisions[0].short",
                "1 labels",
            ),
            (
                format!("{GOOD}[[blocks]]\nname = \"b1\"\n"),
                "blocks",
                "used twice",
            ),
            (
                GOOD.split("[[blocks]]")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                "blocks",
                "missing",
            ),
            (
                format!("{GOOD}[globals]\nstem = true\n"),
                "globals.stem",
                "number",
            ),
        ];
        for (text, field, needle) in cases {
            let (got_field, message) = field_error(&text);
            assert_eq!(got_field, field, "for text:\n{text}");
            assert!(
                message.contains(needle),
                "{field}: `{message}` lacks `{needle}`"
            );
        }
    }

    #[test]
    fn block_without_decisions_needs_a_default() {
        let text = "name = \"t\"\n[[blocks]]\nname = \"b1\"\n";
        let (field, message) = field_error(text);
        assert_eq!(field, "blocks[0].decisions");
        assert!(message.contains("default"), "{message}");
    }

    #[test]
    fn syntax_error_names_the_origin() {
        let err = parse("name = ", "broken.toml").unwrap_err();
        assert!(matches!(err, SpaceError::Toml { .. }));
        assert!(
            err.to_string().starts_with("broken.toml: invalid TOML"),
            "{err}"
        );
    }
}
