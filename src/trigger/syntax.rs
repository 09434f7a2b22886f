//! The surface syntax: text → an untyped tree with byte spans.
//!
//! Parsing is split in two so every error can point into the text: this
//! module (a winnow grammar) only knows the shape of the language —
//! numbers, names, calls, fields, operators and their precedence — and
//! [`super::resolve`] then gives the tree its meaning (which names are
//! indicators, how many arguments they take, what is a series and what a
//! condition), reporting errors at the span of the offending node.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := sum ((< | <= | > | >= | crosses_above | crosses_below) sum)?
//! sum     := product ((+ | -) product)*
//! product := unary ((* | /) unary)*
//! unary   := - unary | postfix
//! postfix := primary ("." name)*
//! primary := number | name "(" [or ("," or)*] ")" | name | "(" or ")"
//! ```

use core::ops::Range;

use winnow::ascii::multispace0;
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, separated, terminated};
use winnow::error::{AddContext, ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Location, Stream};
use winnow::token::{one_of, take_while};

use super::error::{TriggerError, TriggerErrorKind};

type In<'a> = LocatingSlice<&'a str>;

/// A binary operator of the surface syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    CrossesAbove,
    CrossesBelow,
    And,
    Or,
}

/// An untyped syntax node and the bytes of the text it came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NodeKind {
    Number(f64),
    Name(String),
    Call {
        name: String,
        name_span: Range<usize>,
        args: Vec<Node>,
    },
    Field {
        base: Box<Node>,
        field: String,
        field_span: Range<usize>,
    },
    Neg(Box<Node>),
    Not(Box<Node>),
    Binary {
        op: BinOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
}

/// Words that cannot be used as names.
pub(crate) const KEYWORDS: [&str; 5] = ["and", "or", "not", "crosses_above", "crosses_below"];

/// Parses a whole expression (surrounding white space allowed).
pub(crate) fn parse_expr(text: &str) -> Result<Node, TriggerError> {
    delimited(multispace0, or_expr, multispace0)
        .parse(LocatingSlice::new(text))
        .map_err(|e| syntax_error(text, e.offset(), e.inner()))
}

/// Parses `name = expression`.
pub(crate) fn parse_named(text: &str) -> Result<(String, Range<usize>, Node), TriggerError> {
    let named = (
        preceded(multispace0, name.with_span()),
        preceded(
            multispace0,
            cut_err('=').context(StrContext::Expected(StrContextValue::CharLiteral('='))),
        ),
        delimited(multispace0, or_expr, multispace0),
    );
    named
        .map(|((n, span), _, node): ((&str, _), _, _)| (n.to_owned(), span, node))
        .parse(LocatingSlice::new(text))
        .map_err(|e| syntax_error(text, e.offset(), e.inner()))
}

fn syntax_error(text: &str, offset: usize, inner: &ContextError) -> TriggerError {
    let mut expected: Vec<String> = inner
        .context()
        .filter_map(|c| match c {
            StrContext::Expected(v) => Some(v.to_string()),
            _ => None,
        })
        .collect();
    expected.dedup();
    let expected = if expected.is_empty() {
        "an expression".to_owned()
    } else {
        expected.join(" or ")
    };
    let found = text[offset..]
        .chars()
        .next()
        .map_or_else(|| "end of input".to_owned(), |c| format!("{c:?}"));
    let end = text[offset..]
        .chars()
        .next()
        .map_or(offset, |c| offset + c.len_utf8());
    TriggerError::new(
        text,
        offset..end,
        TriggerErrorKind::Syntax { expected, found },
    )
}

fn ws<'a, O>(
    p: impl Parser<In<'a>, O, ErrMode<ContextError>>,
) -> impl Parser<In<'a>, O, ErrMode<ContextError>> {
    preceded(multispace0, p)
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

fn or_expr(i: &mut In<'_>) -> ModalResult<Node> {
    left_assoc(i, and_expr, |i| {
        keyword("or").value(BinOp::Or).parse_next(i)
    })
}

fn and_expr(i: &mut In<'_>) -> ModalResult<Node> {
    left_assoc(i, not_expr, |i| {
        keyword("and").value(BinOp::And).parse_next(i)
    })
}

fn not_expr(i: &mut In<'_>) -> ModalResult<Node> {
    let _ = multispace0.parse_next(i)?;
    let start = i.current_token_start();
    if opt(keyword_bare("not")).parse_next(i)?.is_some() {
        let inner = cut_err(not_expr).parse_next(i)?;
        let end = inner.span.end;
        return Ok(Node {
            kind: NodeKind::Not(Box::new(inner)),
            span: start..end,
        });
    }
    cmp_expr(i)
}

fn cmp_expr(i: &mut In<'_>) -> ModalResult<Node> {
    let lhs = sum_expr(i)?;
    let op = opt(ws(alt((
        "<=".value(BinOp::Le),
        ">=".value(BinOp::Ge),
        "<".value(BinOp::Lt),
        ">".value(BinOp::Gt),
        keyword_bare("crosses_above").value(BinOp::CrossesAbove),
        keyword_bare("crosses_below").value(BinOp::CrossesBelow),
    ))))
    .parse_next(i)?;
    let Some(op) = op else { return Ok(lhs) };
    let rhs = cut_err(sum_expr).parse_next(i)?;
    Ok(binary(op, lhs, rhs))
}

fn sum_expr(i: &mut In<'_>) -> ModalResult<Node> {
    left_assoc(i, product_expr, |i| {
        ws(alt(('+'.value(BinOp::Add), '-'.value(BinOp::Sub)))).parse_next(i)
    })
}

fn product_expr(i: &mut In<'_>) -> ModalResult<Node> {
    left_assoc(i, unary_expr, |i| {
        ws(alt(('*'.value(BinOp::Mul), '/'.value(BinOp::Div)))).parse_next(i)
    })
}

fn unary_expr(i: &mut In<'_>) -> ModalResult<Node> {
    let _ = multispace0.parse_next(i)?;
    let start = i.current_token_start();
    if opt('-').parse_next(i)?.is_some() {
        // A minus directly followed by a numeric literal is part of the
        // literal, so `-3` is the number −3 (and prints back as `-3`).
        let checkpoint = i.checkpoint();
        if let Some((v, span)) = opt(number.with_span()).parse_next(i)? {
            // `-3.x`-style postfix on a literal is not allowed anyway.
            return Ok(Node {
                kind: NodeKind::Number(-v),
                span: start..span.end,
            });
        }
        i.reset(&checkpoint);
        let inner = cut_err(unary_expr).parse_next(i)?;
        let end = inner.span.end;
        return Ok(Node {
            kind: NodeKind::Neg(Box::new(inner)),
            span: start..end,
        });
    }
    postfix_expr(i)
}

fn postfix_expr(i: &mut In<'_>) -> ModalResult<Node> {
    let mut node = primary(i)?;
    while opt(ws('.')).parse_next(i)?.is_some() {
        let (field, field_span) = cut_err(ws(name.with_span()))
            .context(expected("a field name"))
            .parse_next(i)?;
        let span = node.span.start..field_span.end;
        node = Node {
            kind: NodeKind::Field {
                base: Box::new(node),
                field: field.to_owned(),
                field_span,
            },
            span,
        };
    }
    Ok(node)
}

fn primary(i: &mut In<'_>) -> ModalResult<Node> {
    let _ = multispace0.parse_next(i)?;
    alt((
        number.with_span().map(|(v, span)| Node {
            kind: NodeKind::Number(v),
            span,
        }),
        call_or_name,
        paren,
        winnow::combinator::fail.context(expected("a number, a name, a call or '('")),
    ))
    .parse_next(i)
}

fn paren(i: &mut In<'_>) -> ModalResult<Node> {
    let start = i.current_token_start();
    '('.parse_next(i)?;
    let mut inner = cut_err(or_expr).parse_next(i)?;
    cut_err(ws(')'))
        .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
        .parse_next(i)?;
    let end = i.current_token_start();
    // Keep the node's own kind: parentheses only group.
    inner.span = start..end;
    Ok(inner)
}

fn call_or_name(i: &mut In<'_>) -> ModalResult<Node> {
    let (n, name_span) = name.with_span().parse_next(i)?;
    if KEYWORDS.contains(&n) {
        return Err(ErrMode::Backtrack(ContextError::new()));
    }
    let checkpoint = i.checkpoint();
    let _ = multispace0.parse_next(i)?;
    if opt('(').parse_next(i)?.is_none() {
        i.reset(&checkpoint);
        return Ok(Node {
            kind: NodeKind::Name(n.to_owned()),
            span: name_span,
        });
    }
    let args: Vec<Node> =
        terminated(separated(0.., or_expr, ws(',')), multispace0).parse_next(i)?;
    cut_err(')')
        .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
        .context(StrContext::Expected(StrContextValue::CharLiteral(',')))
        .parse_next(i)?;
    let end = i.current_token_start();
    Ok(Node {
        kind: NodeKind::Call {
            name: n.to_owned(),
            name_span: name_span.clone(),
            args,
        },
        span: name_span.start..end,
    })
}

/// A name: a letter or `_`, then letters, digits and `_`.
fn name<'a>(i: &mut In<'a>) -> ModalResult<&'a str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .parse_next(i)
}

/// A keyword as a whole word, after optional white space.
fn keyword<'a>(kw: &'static str) -> impl Parser<In<'a>, (), ErrMode<ContextError>> {
    ws(keyword_bare(kw))
}

fn keyword_bare<'a>(kw: &'static str) -> impl Parser<In<'a>, (), ErrMode<ContextError>> {
    move |i: &mut In<'a>| {
        let checkpoint = i.checkpoint();
        let n = name.parse_next(i)?;
        if n == kw {
            Ok(())
        } else {
            i.reset(&checkpoint);
            Err(ErrMode::Backtrack(ContextError::new()))
        }
    }
}

/// An unsigned decimal literal: `30`, `1.5`, `.5`, `1e-3`, `2.5E+4`.
fn digits<'a>(i: &mut In<'a>) -> ModalResult<&'a str> {
    take_while(1.., |c: char| c.is_ascii_digit()).parse_next(i)
}

fn number(i: &mut In<'_>) -> ModalResult<f64> {
    let mantissa = alt((
        (digits, opt(('.', opt(digits)))).void(),
        ('.', digits).void(),
    ));
    let exponent = opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), cut_err(digits)));
    let start = i.checkpoint();
    let text = (mantissa, exponent).take().parse_next(i)?;
    // A number must not run into a name (`3abc`).
    if i.peek_token()
        .is_some_and(|c: char| c.is_ascii_alphabetic() || c == '_')
    {
        return Err(ErrMode::Cut(ContextError::new().add_context(
            i,
            &i.checkpoint(),
            expected("a separator after the number"),
        )));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => {
            // Point at the number, not past it.
            i.reset(&start);
            Err(ErrMode::Cut(ContextError::new().add_context(
                i,
                &start,
                expected("a number within the range of f64"),
            )))
        }
    }
}

fn left_assoc<'a>(
    i: &mut In<'a>,
    mut operand: impl FnMut(&mut In<'a>) -> ModalResult<Node>,
    mut operator: impl FnMut(&mut In<'a>) -> ModalResult<BinOp>,
) -> ModalResult<Node> {
    let mut lhs = operand(i)?;
    loop {
        let checkpoint = i.checkpoint();
        match operator(i) {
            Ok(op) => {
                let rhs = cut_err(|i: &mut In<'a>| operand(i)).parse_next(i)?;
                lhs = binary(op, lhs, rhs);
            }
            Err(ErrMode::Backtrack(_)) => {
                i.reset(&checkpoint);
                return Ok(lhs);
            }
            Err(e) => return Err(e),
        }
    }
}

fn binary(op: BinOp, lhs: Node, rhs: Node) -> Node {
    let span = lhs.span.start..rhs.span.end;
    Node {
        kind: NodeKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}
