//! The pieces the emitters' `quote!` templates interpolate: doc comments,
//! identifiers, and Rust the generator spells as text (types, patterns,
//! expressions built from a schema) turned into tokens.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

/// `text` as `///` doc comment lines: `#[doc]` attributes, which
/// prettyplease writes back as `///`.
///
/// Lines are trimmed on the left so that indented text never turns into a
/// code block (rustdoc would try to compile it as a doctest), and fences
/// are defused for the same reason.
pub fn doc(text: Option<&str>) -> TokenStream {
    let lines = doc_lines(text);
    quote! { #( #[doc = #lines] )* }
}

/// The lines of [`doc`], each as the attribute holds it (`" text"`, or
/// empty for a blank line).
pub fn doc_lines(text: Option<&str>) -> Vec<String> {
    let text = text.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Vec::new();
    }
    text.lines()
        .map(|line| match line.trim() {
            "" => String::new(),
            line => format!(" {}", line.replace("```", "'''")),
        })
        .collect()
}

/// One line of docs written by the generator itself, such as
/// ``format!("The `{tag}` value ...")``.
pub fn doc_line(line: impl AsRef<str>) -> TokenStream {
    let line = match line.as_ref() {
        "" => String::new(),
        line => format!(" {line}"),
    };
    quote! { #[doc = #line] }
}

/// The identifier `name`; `r#type` is the raw identifier `type`.
pub fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// A number written as it reads, `404`, not `404u16`.
pub fn number(n: impl Into<u64>) -> Literal {
    Literal::u64_unsuffixed(n.into())
}

/// Rust the generator spelled as text (a type such as
/// `Option<Vec<crate::models::Identity>>`, a pattern, an expression).
///
/// Everything passed here is written by the generator from names it made
/// itself, so text that does not lex is a bug in the generator.
pub fn code(text: &str) -> TokenStream {
    text.parse().unwrap_or_else(|e| {
        panic!("kratos-client's generator wrote Rust that does not lex, `{text}`: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_comments_never_start_code_blocks() {
        let lines = doc_lines(Some("First line.\n\n    indented code?\n```go\nx\n```"));
        assert_eq!(
            lines,
            [
                " First line.",
                "",
                " indented code?",
                " '''go",
                " x",
                " '''"
            ]
        );
        // prettyplease writes the attributes back as `///` lines.
        let source = format!("{} struct A;", doc(Some("One.\n\n  Two.")));
        let file = syn::parse_file(&source).unwrap();
        assert_eq!(
            prettyplease::unparse(&file),
            "/// One.\n///\n/// Two.\nstruct A;\n"
        );
    }
}
