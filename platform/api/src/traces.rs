//! Spans of a GraphQL request that never carry a value: the operation's
//! name and its shape (the document with every literal replaced by `?` and
//! comments dropped), never variables. Passwords, ΑΜΚΑ and tokens travel as
//! arguments, so async-graphql's own `Tracing`, which records the document
//! with its values, must not be used. `execute` opens the spans itself
//! rather than through a schema extension: with any extension, async-graphql
//! puts every resolved field through the extensions' chain (a boxed future
//! per field and extension, 140 fields on a case page).

/// The document without its values: string, block-string and number
/// literals become `?`, comments are dropped, whitespace is one space.
pub(crate) fn shape(document: &str) -> String {
    let chars: Vec<char> = document.chars().collect();
    let mut out = String::with_capacity(document.len().min(4096));
    let mut i = 0;
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            if chars[i..].starts_with(&['"', '"', '"']) {
                i += 3;
                while i < chars.len() && !chars[i..].starts_with(&['"', '"', '"']) {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && chars[i] != '"' && chars[i] != '\n' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            }
            out.push('?');
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if (c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            && !out.chars().last().is_some_and(name_char)
        {
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '+' | '-'))
            {
                i += 1;
            }
            out.push('?');
        } else if c.is_whitespace() || c == ',' {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_keeps_the_operation_and_drops_every_value() {
        let document = r#"mutation Login { login(email: "maria@veria.demo", password: "correct horse battery") { token } }
            # a comment with 12345678901
            query($p: ID!) { registerPerson(input: { amka: "01019012345", age: -42, score: 1.5e3, note: """
              multi "line" secret
            """ }) { id field2 } }"#;
        let shape = shape(document);
        for secret in [
            "maria",
            "correct horse",
            "01019012345",
            "12345678901",
            "42",
            "1.5",
            "secret",
        ] {
            assert!(!shape.contains(secret), "{secret} in {shape}");
        }
        assert!(shape.contains("login(email: ? password: ?)"), "{shape}");
        assert!(shape.contains("amka: ?"), "{shape}");
        assert!(shape.contains("field2"), "names with digits stay: {shape}");
        assert!(shape.starts_with("mutation Login {"), "{shape}");
    }
}
