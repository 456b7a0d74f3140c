"""lavaan model syntax: parsing into a :class:`ModelSpec`, printing back, and ``:=`` arithmetic.

The parser reads the subset of lavaan's model syntax that the package estimates:

* relations ``=~`` (measured by), ``~`` (regressed on), ``~~`` (covaries with) and ``~ 1``
  (intercept or mean), with ``+``-separated right-hand-side terms;
* pre-multiplied modifiers on a term: fixed values (``1*x``, ``-0.5*x``, ``NA*x`` = free),
  labels (``a*x``, ``"a"*x``, ``label("a")*x``, ``equal("a")*x``), starting values
  (``start(0.5)*x``), per-group vectors (``c(1, NA)*x``, ``c(a1, a2)*x``) and chains of them
  (``a*start(0.5)*x``);
* several left-hand-side names (``y1 + y2 ~ x`` gives one statement per pair);
* defined parameters ``name := expression`` and constraints ``expr == expr``,
  ``expr < expr``, ``expr > expr``, where an expression is arithmetic (``+ - * / ^ **``,
  unary minus, parentheses, ``sqrt exp log abs``) of numbers and labels;
* comments from ``#`` or ``!`` to the end of the line, ``;`` between statements on one line,
  statements continued on the next line when a line ends in an operator, ``+``, ``*``, ``,``
  or an open parenthesis, or when the next line starts with ``+``.

Every problem raises :class:`~synergy_stats.errors.ModelSyntaxError` with the line and column
of the offending token.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import numpy as np

from synergy_stats._typing import check_arguments
from synergy_stats.errors import ModelSyntaxError, SpecificationError
from synergy_stats.structural.spec import (
    Constraint,
    DefinedParameter,
    ModelSpec,
    Modifier,
    Operator,
    Statement,
)

__all__ = [
    "compile_expression",
    "evaluate_expression",
    "format_model",
    "normalize_expression",
    "parse_model",
]

_RELATION_OPS = ("=~", "~~", "~")
_CONSTRAINT_OPS = ("==", "<", ">")
_ACCEPTED_OPS = "'=~', '~', '~~', '~ 1', ':=', '==', '<', '>'"
_FUNCTIONS = ("sqrt", "exp", "log", "abs")
_NAME_RE = re.compile(r"(?:[^\W\d]|\.(?!\d))[\w.]*")
_FULLWIDTH = {
    "＋": "+",
    "～": "~",
    "＊": "*",
    "（": "(",
    "）": ")",
    "，": ",",
    "；": ";",
    "＝": "=",
    "－": "-",
    "：": ":",
    "“": '"',
    "”": '"',
}

_TOKEN_RE = re.compile(
    r"""
     (?P<ws>[ \t\r\f\v]+)
    |(?P<comment>[\#!][^\n]*)
    |(?P<newline>\n)
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>(?:[^\W\d]|\.(?!\d))[\w.]*)
    |(?P<string>"[^"\n]*"|'[^'\n]*')
    |(?P<badop>~\*~|<~|<=|>=|!=|=(?![=~])|\|\||\||%|:(?!=)|&)
    |(?P<op>=~|==|:=|~~|~|<|>)
    |(?P<punct>\*\*|[-+*/^(),;])
    """,
    re.VERBOSE,
)


# ---------------------------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # name number string op punct newline
    text: str
    line: int
    column: int

    @property
    def end_column(self) -> int:
        return self.column + len(self.text)


def _error(message: str, tok: _Token | None, *, after: bool = False) -> ModelSyntaxError:
    if tok is None:
        return ModelSyntaxError(message)
    column = tok.end_column if after else tok.column
    return ModelSyntaxError(message, line=tok.line, column=column)


def _describe(tok: _Token) -> str:
    if tok.kind == "number":
        return f"number {tok.text}"
    if tok.kind == "string":
        return f"quoted string {tok.text}"
    if tok.kind == "name":
        return f"name {tok.text!r}"
    return repr(tok.text)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    line = 1
    line_start = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        column = pos - line_start + 1
        if m is None:
            ch = text[pos]
            if ch in "\"'":
                raise ModelSyntaxError(
                    f"unterminated quoted string starting with {ch}", line=line, column=column
                )
            hint = ""
            if ch in _FULLWIDTH:
                hint = f" (a full-width character; use the ASCII {_FULLWIDTH[ch]!r})"
            raise ModelSyntaxError(f"unexpected character {ch!r}{hint}", line=line, column=column)
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "newline":
            tokens.append(_Token("newline", value, line, column))
            line += 1
            line_start = m.end()
        elif kind == "badop":
            raise ModelSyntaxError(
                f"operator {value!r} is not supported; use one of {_ACCEPTED_OPS}",
                line=line,
                column=column,
            )
        elif kind not in ("ws", "comment"):
            tokens.append(_Token(kind, value, line, column))
        pos = m.end()
    return tokens


_CONTINUES = frozenset({"+", "-", "*", "/", "^", "**", ",", "("})


def _split_statements(tokens: Sequence[_Token]) -> list[list[_Token]]:
    """Group tokens into statements at newlines and ``;``, joining continued lines."""
    statements: list[list[_Token]] = []
    current: list[_Token] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.kind == "newline":
            if not current:
                continue
            last = current[-1]
            if depth > 0 or last.kind == "op" or (last.kind == "punct" and last.text in _CONTINUES):
                continue
            nxt = next((t for t in tokens[i + 1 :] if t.kind != "newline"), None)
            if nxt is not None and nxt.kind == "punct" and nxt.text == "+":
                continue
            statements.append(current)
            current = []
            continue
        if tok.kind == "punct" and tok.text == ";":
            if current:
                statements.append(current)
            current = []
            depth = 0
            continue
        if tok.kind == "punct" and tok.text == "(":
            depth += 1
        elif tok.kind == "punct" and tok.text == ")":
            depth = max(depth - 1, 0)
        current.append(tok)
    if current:
        statements.append(current)
    return statements


def _check_parentheses(tokens: Sequence[_Token]) -> None:
    stack: list[_Token] = []
    for tok in tokens:
        if tok.kind == "punct" and tok.text == "(":
            stack.append(tok)
        elif tok.kind == "punct" and tok.text == ")":
            if not stack:
                raise _error("unbalanced parentheses: ')' has no matching '('", tok)
            stack.pop()
    if stack:
        raise _error("unbalanced parentheses: '(' is never closed", stack[-1])


class _Cursor:
    """A position in one statement's tokens."""

    def __init__(self, tokens: Sequence[_Token], end: _Token) -> None:
        self.tokens = tokens
        self.i = 0
        self.end = end  # the token after which the statement ends (for "missing ..." errors)

    def peek(self, k: int = 0) -> _Token | None:
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else None

    def at_end(self) -> bool:
        return self.i >= len(self.tokens)

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_punct(self, text: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == "punct" and tok.text == text

    def fail(self, message: str) -> ModelSyntaxError:
        tok = self.peek()
        if tok is None:
            return _error(message, self.end, after=True)
        return _error(message, tok)


# ---------------------------------------------------------------------------------------------
# arithmetic expressions (for :=, ==, <, >)
# ---------------------------------------------------------------------------------------------

# expression tree nodes: ("num", float) | ("lab", str) | ("neg", node)
# | ("bin", op, left, right) with op in + - * / ^ | ("call", fname, arg)
_Node = tuple[Any, ...]
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


def _parse_expression(cur: _Cursor, found: list[tuple[str, _Token]]) -> _Node:
    node = _parse_product(cur, found)
    while cur.is_punct("+") or cur.is_punct("-"):
        op = cur.take().text
        if cur.at_end():
            raise _error(f"{op!r} must be followed by an operand", cur.tokens[cur.i - 1])
        node = ("bin", op, node, _parse_product(cur, found))
    return node


def _parse_product(cur: _Cursor, found: list[tuple[str, _Token]]) -> _Node:
    node = _parse_unary(cur, found)
    while cur.is_punct("*") or cur.is_punct("/"):
        op = cur.take().text
        node = ("bin", op, node, _parse_unary(cur, found))
    return node


def _parse_unary(cur: _Cursor, found: list[tuple[str, _Token]]) -> _Node:
    if cur.is_punct("-"):
        cur.take()
        return ("neg", _parse_unary(cur, found))
    if cur.is_punct("+"):
        cur.take()
        return _parse_unary(cur, found)
    base = _parse_atom(cur, found)
    if cur.is_punct("^") or cur.is_punct("**"):
        cur.take()
        return ("bin", "^", base, _parse_unary(cur, found))
    return base


def _parse_atom(cur: _Cursor, found: list[tuple[str, _Token]]) -> _Node:
    tok = cur.peek()
    if tok is None:
        raise cur.fail("expression ends where an operand was expected")
    if tok.kind == "number":
        cur.take()
        return ("num", float(tok.text))
    if tok.kind == "string":
        cur.take()
        if len(tok.text) == 2:
            raise _error("an empty quoted label", tok)
        found.append((tok.text[1:-1], tok))
        return ("lab", tok.text[1:-1])
    if tok.kind == "name":
        cur.take()
        if cur.is_punct("("):
            if tok.text not in _FUNCTIONS:
                raise _error(
                    f"unknown function {tok.text!r} in expression; use one of "
                    + ", ".join(_FUNCTIONS),
                    tok,
                )
            open_tok = cur.take()
            if cur.is_punct(")"):
                raise _error(f"{tok.text}() needs one argument", open_tok, after=True)
            arg = _parse_expression(cur, found)
            if not cur.is_punct(")"):
                raise cur.fail(f"expected ')' to close {tok.text}(")
            cur.take()
            return ("call", tok.text, arg)
        if tok.text == "NA":
            raise _error("NA is not allowed in an expression", tok)
        found.append((tok.text, tok))
        return ("lab", tok.text)
    if tok.kind == "punct" and tok.text == "(":
        cur.take()
        if cur.is_punct(")"):
            raise _error("empty parentheses in expression", tok)
        node = _parse_expression(cur, found)
        if not cur.is_punct(")"):
            raise cur.fail("expected ')'")
        cur.take()
        return node
    raise _error(f"unexpected {_describe(tok)} in expression", tok)


def _parse_full_expression(
    tokens: Sequence[_Token], end: _Token, what: str
) -> tuple[_Node, list[tuple[str, _Token]]]:
    if not tokens:
        raise _error(f"missing {what}", end, after=True)
    cur = _Cursor(tokens, tokens[-1])
    found: list[tuple[str, _Token]] = []
    node = _parse_expression(cur, found)
    if not cur.at_end():
        tok = cur.peek()
        if tok is None:  # not at the end, so a token is there; kept for the type checker
            raise _error(f"unexpected end of {what}", end, after=True)
        raise _error(f"unexpected {_describe(tok)} in expression", tok)
    return node, found


def _format_number(value: float) -> str:
    v = float(value)
    if not math.isfinite(v):
        raise SpecificationError(
            f"the value {value!r} cannot be written as lavaan syntax; use a finite number"
        )
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _render(node: _Node) -> str:
    kind = node[0]
    if kind == "num":
        return _format_number(node[1])
    if kind == "lab":
        return _format_label(node[1])
    if kind == "call":
        return f"{node[1]}({_render(node[2])})"
    if kind == "neg":
        inner = node[1]
        text = _render(inner)
        if _node_prec(inner) < _PREC["neg"]:
            text = f"({text})"
        return f"-{text}"
    op, left, right = node[1], node[2], node[3]
    prec = _PREC[op]
    ltext, rtext = _render(left), _render(right)
    if op == "^":
        if _node_prec(left) <= prec:
            ltext = f"({ltext})"
        if _node_prec(right) < _PREC["neg"]:
            rtext = f"({rtext})"
        return f"{ltext}^{rtext}"
    if _node_prec(left) < prec:
        ltext = f"({ltext})"
    if _node_prec(right) <= prec:
        rtext = f"({rtext})"
    if op in "+-":
        return f"{ltext} {op} {rtext}"
    return f"{ltext}{op}{rtext}"


def _node_prec(node: _Node) -> int:
    if node[0] == "bin":
        return _PREC[node[1]]
    if node[0] == "neg":
        return _PREC["neg"]
    if node[0] == "num" and node[1] < 0:  # never produced by the parser; kept for safety
        return _PREC["neg"]
    return 5


def _abs(x: Any) -> Any:
    arr = np.asarray(x)
    if np.iscomplexobj(arr):
        # analytic continuation used by complex-step differentiation: d|x| = sign(x) dx
        return np.where(arr.real < 0, -arr, arr)[()]
    return np.abs(arr)[()]


def _val(x: Any) -> Any:
    arr = np.asarray(x)
    if arr.dtype.kind == "O":  # e.g. a column of an object array of draws
        try:
            arr = np.array(arr.tolist())
        except (TypeError, ValueError):
            arr = np.asarray(str(x))
    if arr.dtype.kind in "biu":
        arr = arr.astype(float)
    elif arr.dtype.kind not in "fc":
        raise SpecificationError(
            f"a label's value must be numeric (float, complex or a numeric array), got {x!r}"
        )
    return arr[()]


_BINOPS: dict[str, ast.operator] = {
    "+": ast.Add(),
    "-": ast.Sub(),
    "*": ast.Mult(),
    "/": ast.Div(),
    "^": ast.Pow(),
}


def _to_ast(node: _Node, constants: dict[str, Any]) -> ast.expr:
    kind = node[0]
    if kind == "num":
        name = f"_k{len(constants)}"
        constants[name] = np.float64(node[1])
        return ast.Name(id=name, ctx=ast.Load())
    if kind == "lab":
        lookup = ast.Subscript(
            value=ast.Name(id="_v", ctx=ast.Load()), slice=ast.Constant(node[1]), ctx=ast.Load()
        )
        return ast.Call(func=ast.Name(id="_val", ctx=ast.Load()), args=[lookup], keywords=[])
    if kind == "neg":
        return ast.UnaryOp(op=ast.USub(), operand=_to_ast(node[1], constants))
    if kind == "call":
        return ast.Call(
            func=ast.Name(id=f"_{node[1]}", ctx=ast.Load()),
            args=[_to_ast(node[2], constants)],
            keywords=[],
        )
    return ast.BinOp(
        left=_to_ast(node[2], constants),
        op=_BINOPS[node[1]],
        right=_to_ast(node[3], constants),
    )


def _expression_tree(expr: str) -> tuple[_Node, tuple[str, ...]]:
    if not isinstance(expr, str):
        raise SpecificationError(f"expr must be a str, got {type(expr).__name__}")
    tokens = [t for t in _tokenize(expr) if t.kind != "newline"]
    _check_parentheses(tokens)
    end = tokens[-1] if tokens else _Token("newline", "", 1, 1)
    for tok in tokens:
        if tok.kind == "op" or (tok.kind == "punct" and tok.text in (",", ";")):
            raise _error(f"unexpected {_describe(tok)} in expression", tok)
    node, found = _parse_full_expression(tokens, end, "expression")
    labels = tuple(dict.fromkeys(lab for lab, _ in found))
    return node, labels


def normalize_expression(expr: str) -> str:
    """Return the canonical text of an arithmetic expression of labels.

    Parameters
    ----------
    expr : str
        An expression such as ``"a * (b)"``.

    Returns
    -------
    str
        The canonical form (``"a*b"``), which is what :func:`parse_model` stores in
        :class:`DefinedParameter` and :class:`Constraint`.

    Raises
    ------
    ModelSyntaxError
        If ``expr`` is not an expression of the accepted grammar.

    Examples
    --------
    >>> normalize_expression("g2 +  g1 * g3")
    'g2 + g1*g3'
    """
    node, _ = _expression_tree(expr)
    return _render(node)


@lru_cache(maxsize=1024)
def _compiled(expr: str) -> tuple[Callable[[Mapping[str, Any]], Any], tuple[str, ...]]:
    node, labels = _expression_tree(expr)
    constants: dict[str, Any] = {}
    body = _to_ast(node, constants)
    lam = ast.Lambda(
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg="_v")],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=body,
    )
    tree = ast.fix_missing_locations(ast.Expression(body=lam))
    code = compile(tree, "<synergy_stats expression>", "eval")
    namespace: dict[str, Any] = {
        "__builtins__": {},
        "_val": _val,
        "_sqrt": np.sqrt,
        "_exp": np.exp,
        "_log": np.log,
        "_abs": _abs,
        **constants,
    }
    # evaluating a code object compiled from the validated tree above, never raw text
    raw: Callable[[Mapping[str, Any]], Any] = eval(code, namespace)

    def evaluate(values: Mapping[str, Any]) -> Any:
        missing = [lab for lab in labels if lab not in values]
        if missing:
            raise SpecificationError(
                f"expression {expr!r} uses label(s) {', '.join(map(repr, missing))} that have "
                f"no value; values were given for {', '.join(map(repr, values)) or 'nothing'}"
            )
        return raw(values)

    return evaluate, labels


def compile_expression(expr: str) -> tuple[Callable[[Mapping[str, Any]], Any], tuple[str, ...]]:
    """Compile an arithmetic expression of labels into a function.

    Parameters
    ----------
    expr : str
        Numbers, labels (names or quoted strings), ``+ - * / ^ **``, unary minus,
        parentheses and the functions ``sqrt``, ``exp``, ``log``, ``abs``.

    Returns
    -------
    function : callable
        ``function(values)`` evaluates the expression, ``values`` mapping each label to a
        float, a complex number or a numpy array (elementwise, for vectorised draws).
    labels : tuple of str
        The labels the expression uses, in order of first appearance.

    Raises
    ------
    ModelSyntaxError
        If ``expr`` is not in the grammar (with line and column).
    SpecificationError
        When the function is called without a value for one of ``labels``.

    Notes
    -----
    The expression is tokenised and parsed by this module's own grammar, and the
    resulting tree is converted to a Python :mod:`ast` and compiled; raw text is never
    evaluated. Arithmetic follows numpy: division by zero gives ``inf`` and ``log`` or
    ``sqrt`` of a negative number ``nan`` (with numpy's warning). ``abs`` of a complex
    argument is ``x`` or ``-x`` by the sign of its real part, so complex-step derivatives
    of ``abs`` are right away from zero.

    Examples
    --------
    Mirrors how lavaan evaluates ``ind := a*b`` (``lav_partable_constraints_def``):

    >>> f, labels = compile_expression("a*b + sqrt(c)")
    >>> labels
    ('a', 'b', 'c')
    >>> float(f({"a": 2.0, "b": 3.0, "c": 4.0}))
    8.0
    """
    return _compiled(expr)


def evaluate_expression(expr: str, values: Mapping[str, Any]) -> Any:
    """Evaluate an arithmetic expression of labels at the given label values.

    Parameters
    ----------
    expr : str
        The expression (see :func:`compile_expression`).
    values : mapping of str to number or array
        Value of every label the expression uses.

    Returns
    -------
    number or numpy.ndarray
        The value, broadcast over array inputs.

    Raises
    ------
    ModelSyntaxError
        If ``expr`` cannot be parsed.
    SpecificationError
        If a label has no value.

    Examples
    --------
    >>> float(evaluate_expression("g2 + g1*g3", {"g1": 1.5, "g2": 0.5, "g3": 0.5}))
    1.25
    """
    function, _ = compile_expression(expr)
    return function(values)


# ---------------------------------------------------------------------------------------------
# relations and modifiers
# ---------------------------------------------------------------------------------------------


@dataclass
class _Factor:
    kind: str  # "name" | "number" | "na" | "string" | "fixed" | "labels" | "starts"
    value: Any
    tok: _Token


def _parse_signed_number(cur: _Cursor) -> float:
    tok = cur.take()
    sign = 1.0
    if tok.kind == "punct" and tok.text == "-":
        nxt = cur.peek()
        if nxt is None or nxt.kind != "number":
            raise cur.fail("'-' must be followed by a number here")
        tok = cur.take()
        sign = -1.0
    return sign * float(tok.text)


def _parse_args(cur: _Cursor, fname: str, open_tok: _Token, *, allow_c: bool) -> list[_Factor]:
    """Parse ``item, item, ...)`` after an opening parenthesis; items are simple values."""
    items: list[_Factor] = []
    if cur.is_punct(")"):
        raise _error(f"{fname}() needs at least one value", open_tok, after=True)
    while True:
        tok = cur.peek()
        if tok is None:
            raise _error("unbalanced parentheses: '(' is never closed", open_tok)
        if tok.kind == "number" or (tok.kind == "punct" and tok.text == "-"):
            items.append(_Factor("number", _parse_signed_number(cur), tok))
        elif tok.kind == "name" and tok.text == "NA":
            cur.take()
            items.append(_Factor("na", None, tok))
        elif tok.kind == "name" and tok.text == "c" and cur.is_punct("(", 1) and allow_c:
            cur.take()
            inner_open = cur.take()
            inner = _parse_args(cur, "c", inner_open, allow_c=False)
            items.append(_Factor("vector", inner, tok))
        elif tok.kind == "name" and cur.is_punct("(", 1):
            raise _error(f"a function call {tok.text}() is not allowed inside {fname}()", tok)
        elif tok.kind == "name":
            cur.take()
            items.append(_Factor("name", tok.text, tok))
        elif tok.kind == "string":
            cur.take()
            if len(tok.text) == 2:
                raise _error("an empty quoted label", tok)
            items.append(_Factor("string", tok.text[1:-1], tok))
        else:
            raise _error(f"unexpected {_describe(tok)} inside {fname}()", tok)
        if cur.is_punct(","):
            comma = cur.take()
            if cur.is_punct(")") or cur.at_end():
                raise _error(f"missing value after ',' in {fname}()", comma, after=True)
            continue
        if cur.is_punct(")"):
            cur.take()
            return items
        raise cur.fail(f"expected ',' or ')' in {fname}()")


def _flatten_args(items: list[_Factor], fname: str) -> list[_Factor]:
    if len(items) == 1 and items[0].kind == "vector":
        return list(items[0].value)
    for item in items:
        if item.kind == "vector":
            raise _error(f"c() must be the only argument of {fname}()", item.tok)
    return items


def _vector_values(items: list[_Factor], fname: str, call_tok: _Token) -> _Factor:
    """Classify the items of c(...) as fixed values or labels."""
    numeric = [i for i in items if i.kind == "number"]
    textual = [i for i in items if i.kind in ("name", "string")]
    if numeric and textual:
        raise _error(f"{fname}() mixes numbers and labels", textual[0].tok)
    if textual:
        labels = tuple(None if i.kind == "na" else str(i.value) for i in items)
        return _Factor("labels", labels, call_tok)
    fixed = tuple(None if i.kind == "na" else float(i.value) for i in items)
    return _Factor("fixed", fixed, call_tok)


def _parse_factor(cur: _Cursor) -> _Factor:
    tok = cur.peek()
    if tok is None:
        raise cur.fail("a term is missing")
    if tok.kind == "number" or (tok.kind == "punct" and tok.text == "-"):
        return _Factor("number", _parse_signed_number(cur), tok)
    if tok.kind == "string":
        cur.take()
        if not tok.text[1:-1]:
            raise _error("an empty quoted label", tok)
        return _Factor("string", tok.text[1:-1], tok)
    if tok.kind == "name" and cur.is_punct("(", 1):
        cur.take()
        open_tok = cur.take()
        fname = tok.text
        if fname == "c":
            items = _parse_args(cur, "c", open_tok, allow_c=False)
            return _vector_values(items, "c", tok)
        if fname == "start":
            items = _flatten_args(_parse_args(cur, fname, open_tok, allow_c=True), fname)
            bad = [i for i in items if i.kind not in ("number", "na")]
            if bad:
                raise _error("start() takes numbers or NA", bad[0].tok)
            starts = tuple(None if i.kind == "na" else float(i.value) for i in items)
            return _Factor("starts", starts, tok)
        if fname in ("label", "equal"):
            items = _flatten_args(_parse_args(cur, fname, open_tok, allow_c=True), fname)
            bad = [i for i in items if i.kind not in ("name", "string", "na")]
            if bad:
                raise _error(f"{fname}() takes labels (names or quoted strings) or NA", bad[0].tok)
            labels = tuple(None if i.kind == "na" else str(i.value) for i in items)
            return _Factor("labels", labels, tok)
        if fname in ("lower", "upper", "prior", "rv", "efa"):
            raise _error(
                f"the modifier {fname}() is not supported; use c(), start(), label() or equal()",
                tok,
            )
        raise _error(
            f"unknown modifier {fname}(); use a number, NA, a label, c(), start(), label() "
            "or equal()",
            tok,
        )
    if tok.kind == "name":
        cur.take()
        if tok.text == "NA":
            return _Factor("na", None, tok)
        return _Factor("name", tok.text, tok)
    if tok.kind == "punct" and tok.text == "+":
        raise _error("empty term: two '+' in a row", tok)
    if tok.kind == "punct" and tok.text == "(":
        raise _error("parentheses are only allowed after c, start, label or equal", tok)
    raise _error(f"unexpected {_describe(tok)}", tok)


@dataclass
class _Term:
    rhs: str  # "" for the intercept
    modifier: Modifier
    tok: _Token


def _parse_term(cur: _Cursor, op: str) -> _Term:
    factors = [_parse_factor(cur)]
    while cur.is_punct("*"):
        star = cur.take()
        if cur.at_end() or cur.is_punct("+"):
            raise _error("'*' must be followed by a variable name", star, after=True)
        factors.append(_parse_factor(cur))
    last = factors[-1]
    if last.kind == "name":
        rhs = str(last.value)
    elif last.kind == "number" and last.tok.kind == "number" and last.value == 1.0:
        if op != "~":
            raise _error(
                f"'1' (an intercept) is only allowed after '~', not after {op!r}", last.tok
            )
        rhs = ""
    else:
        what = {
            "number": f"the number {last.tok.text if last.tok.kind == 'number' else last.value}",
            "na": "NA",
            "string": "a quoted string",
        }.get(last.kind, "a modifier")
        hint = " (a modifier needs '*' before the variable, as in 1*x)" if len(factors) == 1 else ""
        raise _error(f"a term must end in a variable name; found {what}{hint}", last.tok)
    parts: dict[str, tuple[Any, ...]] = {}
    for factor in factors[:-1]:
        if factor.kind == "number":
            kind, values = "fixed", cast(tuple[Any, ...], (float(factor.value),))
        elif factor.kind == "na":
            kind, values = "fixed", (None,)
        elif factor.kind in ("name", "string"):
            kind, values = "labels", (str(factor.value),)
        else:
            kind, values = factor.kind, tuple(factor.value)
        if kind in parts:
            noun = {"fixed": "fixed values", "labels": "labels", "starts": "starting values"}[kind]
            raise _error(f"two {noun} for one term", factor.tok)
        parts[kind] = values
    lengths = {len(v) for v in parts.values() if len(v) > 1}
    if len(lengths) > 1:
        raise _error(
            "modifier vectors of different lengths in one term: "
            + ", ".join(f"{k} has {len(v)}" for k, v in parts.items()),
            factors[0].tok,
        )
    modifier = Modifier(
        fixed=parts.get("fixed", ()),
        labels=parts.get("labels", ()),
        starts=parts.get("starts", ()),
    )
    return _Term(rhs, modifier, last.tok)


def _merge(first: Modifier, second: Modifier) -> Modifier:
    """Merge the modifiers of a repeated term; for each kind the first one given wins."""
    return Modifier(
        fixed=first.fixed or second.fixed,
        labels=first.labels or second.labels,
        starts=first.starts or second.starts,
    )


def _parse_lhs_names(tokens: Sequence[_Token], op_tok: _Token) -> list[_Token]:
    if not tokens:
        raise _error(f"missing left-hand side before {op_tok.text!r}", op_tok)
    names: list[_Token] = []
    expect_name = True
    for i, tok in enumerate(tokens):
        if expect_name:
            if tok.kind == "name" and tok.text != "NA":
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                if nxt is not None and nxt.kind == "punct" and nxt.text in ("*", "("):
                    raise _error("modifiers are not allowed on the left-hand side", tok)
                names.append(tok)
                expect_name = False
                continue
            if tok.kind == "number":
                raise _error(
                    f"the left-hand side must be a variable name, not the number {tok.text}", tok
                )
            if tok.kind == "string":
                raise _error("the left-hand side must be a variable name, not a string", tok)
            if tok.kind == "name":
                raise _error("NA cannot be a variable name", tok)
            raise _error(f"unexpected {_describe(tok)} on the left-hand side", tok)
        if tok.kind == "punct" and tok.text == "+":
            expect_name = True
            continue
        if tok.kind == "punct" and tok.text == "*":
            raise _error("modifiers are not allowed on the left-hand side", tok)
        raise _error(f"expected '+' or an operator, found {_describe(tok)}", tok)
    if expect_name:
        raise _error(f"dangling '+' before {op_tok.text!r}", tokens[-1])
    return names


def _parse_relation(
    lhs_tokens: Sequence[_Token], op_tok: _Token, rhs_tokens: Sequence[_Token]
) -> list[tuple[str, Operator, str, Modifier, _Token]]:
    op = op_tok.text
    lhs_names = _parse_lhs_names(lhs_tokens, op_tok)
    cur = _Cursor(rhs_tokens, rhs_tokens[-1] if rhs_tokens else op_tok)
    if cur.at_end():
        raise _error(f"missing right-hand side after {op!r}", op_tok, after=True)
    if cur.is_punct("+"):  # tolerated, as in lavaan: "f =~\n  + x1 + x2"
        plus = cur.take()
        if cur.at_end():
            raise _error("dangling '+'", plus)
    terms: dict[str, _Term] = {}
    while True:
        term = _parse_term(cur, op)
        if term.rhs in terms:
            old = terms[term.rhs]
            terms[term.rhs] = _Term(term.rhs, _merge(old.modifier, term.modifier), old.tok)
        else:
            terms[term.rhs] = term
        if cur.at_end():
            break
        tok = cur.take()
        if tok.kind == "punct" and tok.text == "+":
            if cur.at_end():
                raise _error("dangling '+' at the end of the statement", tok)
            continue
        raise _error(f"expected '+' between terms, found {_describe(tok)}", tok)
    out: list[tuple[str, Operator, str, Modifier, _Token]] = []
    for name_tok in lhs_names:
        for term in terms.values():
            if op == "=~" and term.rhs == name_tok.text:
                raise _error(
                    f"latent variable {name_tok.text!r} cannot be measured by itself", term.tok
                )
            rel = cast(Operator, "~1" if term.rhs == "" else op)
            out.append((name_tok.text, rel, term.rhs, term.modifier, term.tok))
    return out


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------


def parse_model(text: str) -> ModelSpec:
    """Parse lavaan model syntax into an immutable :class:`ModelSpec`.

    Parameters
    ----------
    text : str
        lavaan model syntax (see the module docstring for the accepted subset).

    Returns
    -------
    ModelSpec
        One :class:`Statement` per (lhs, operator, rhs) in the order written (intercepts as
        ``op="~1"`` with ``rhs=""``), the ``:=`` definitions and the constraints, their
        expressions in canonical form (see :func:`normalize_expression`).

    Raises
    ------
    ModelSyntaxError
        For any syntax error, with the line and column: an unknown operator, a missing or
        dangling term, a bad modifier, unbalanced parentheses, a number as left-hand side, an
        element given twice (``x ~~ y`` and ``y ~~ x`` count as the same), an unknown label
        in a ``:=`` or constraint expression, or an empty model.
    SpecificationError
        If ``text`` is not a string.

    Notes
    -----
    As in lavaan, a term repeated *within* one statement merges its modifiers (for each of
    fixed value, label and start the first one given wins), so ``f =~ NA*x1 + a*x1`` frees
    and labels ``x1``. The same element in *two* statements is an error (lavaan: "duplicate
    model element"). The expression of ``name := expression`` may use parameter labels and
    names defined by earlier ``:=`` lines; constraints may use both. Unlike lavaan, a line
    without an operator is an error rather than being glued to the previous line.

    Examples
    --------
    The equivalent of ``lavaan::lavParseModelString(model)``:

    >>> spec = parse_model('''
    ...     visual =~ x1 + x2 + x3   # a factor
    ...     visual ~~ 1*visual
    ... ''')
    >>> [(s.lhs, s.op, s.rhs) for s in spec.statements]  # doctest: +NORMALIZE_WHITESPACE
    [('visual', '=~', 'x1'), ('visual', '=~', 'x2'), ('visual', '=~', 'x3'),
     ('visual', '~~', 'visual')]
    >>> spec.statements[-1].modifier.fixed
    (1.0,)
    """
    check_arguments(parse_model, locals())
    if not isinstance(text, str):
        raise SpecificationError(
            f"model must be a str of lavaan model syntax, got {type(text).__name__}"
        )
    text, level_of = _level_blocks(text)
    tokens = _tokenize(text)
    groups = _split_statements(tokens)
    if not groups:
        raise ModelSyntaxError("the model syntax is empty (no statements)", line=1, column=1)

    statements: list[Statement] = []
    seen: dict[tuple[int, str, str, str], int] = {}
    defined: list[tuple[DefinedParameter, list[tuple[str, _Token]], _Token]] = []
    constraints: list[tuple[Constraint, list[tuple[str, _Token]]]] = []

    for group in groups:
        _check_parentheses(group)
        first = group[0]
        if first.kind == "punct" and first.text == "+":
            raise _error("a statement cannot start with '+'", first)
        ops = [i for i, t in enumerate(group) if t.kind == "op"]
        if not ops:
            raise _error(
                f"no operator in the statement starting with {_describe(first)}; "
                f"use one of {_ACCEPTED_OPS}",
                first,
            )
        k = ops[0]
        op_tok = group[k]
        if len(ops) > 1:
            extra = group[ops[1]]
            hint = ""
            if extra.line != op_tok.line:
                hint = f" (does line {extra.line - 1} end in a dangling '+' or operator?)"
            raise _error(
                f"a second operator {extra.text!r} in one statement; put each relation on its "
                f"own line or separate them with ';'{hint}",
                extra,
            )
        lhs_tokens, rhs_tokens = group[:k], group[k + 1 :]
        op = op_tok.text
        if op in _RELATION_OPS:
            lev = level_of(first)
            for lhs, rel, rhs, modifier, tok in _parse_relation(lhs_tokens, op_tok, rhs_tokens):
                keys = [(lev, lhs, rel, rhs)]
                if rel == "~~":
                    keys.append((lev, rhs, rel, lhs))
                for key in keys:
                    if key in seen:
                        shown = f"{lhs} ~ 1" if rel == "~1" else f"{lhs} {rel} {rhs}"
                        raise _error(
                            f"duplicate model element {shown!r} (first given on line {seen[key]})",
                            tok,
                        )
                seen[(lev, lhs, rel, rhs)] = first.line
                statements.append(Statement(lhs, rel, rhs, modifier, line=first.line, level=lev))
        elif op == ":=":
            if len(lhs_tokens) != 1 or lhs_tokens[0].kind != "name" or lhs_tokens[0].text == "NA":
                where = lhs_tokens[0] if lhs_tokens else op_tok
                raise _error("the left-hand side of ':=' must be one name", where)
            node, found = _parse_full_expression(rhs_tokens, op_tok, "expression after ':='")
            param = DefinedParameter(lhs_tokens[0].text, _render(node), line=first.line)
            defined.append((param, found, lhs_tokens[0]))
        else:
            if not lhs_tokens:
                raise _error(f"missing expression before {op!r}", op_tok)
            lnode, lfound = _parse_full_expression(lhs_tokens, op_tok, f"expression before {op!r}")
            rnode, rfound = _parse_full_expression(rhs_tokens, op_tok, f"expression after {op!r}")
            constraint = Constraint(_render(lnode), cast(Any, op), _render(rnode), line=first.line)
            constraints.append((constraint, lfound + rfound))

    _check_labels(statements, defined, constraints)
    return ModelSpec(
        statements=tuple(statements),
        defined=tuple(p for p, _, _ in defined),
        constraints=tuple(c for c, _ in constraints),
    )


_LEVEL_RE = re.compile(r"^\s*level\s*:\s*([^\s#!;]*)\s*(?:[#!].*)?$", re.IGNORECASE)
_LEVEL_NAMES = {"1": 1, "2": 2, "within": 1, "between": 2}


def _level_blocks(text: str) -> tuple[str, Callable[[_Token], int]]:
    """Blank the ``level: 1`` / ``level: 2`` (``within`` / ``between``) header lines.

    Returns the text with each header line emptied (so line numbers stay) and a function
    giving the level (0 without headers) of a statement from its first token.
    """
    lines = text.split("\n")
    headers: list[tuple[int, int]] = []  # (1-based line, level)
    for i, line in enumerate(lines, start=1):
        m = _LEVEL_RE.match(line)
        if m is None:
            continue
        name = m.group(1).lower()
        if name not in _LEVEL_NAMES:
            raise ModelSyntaxError(
                f"level: {m.group(1)!r} is not a level; use 'level: 1' (or within) and "
                "'level: 2' (or between)",
                line=i,
                column=line.lower().index("level") + 1,
            )
        lev = _LEVEL_NAMES[name]
        if any(h[1] == lev for h in headers):
            raise ModelSyntaxError(f"a second 'level: {lev}' block", line=i, column=1)
        headers.append((i, lev))
        lines[i - 1] = ""
    if not headers:
        return text, lambda tok: 0
    if {h[1] for h in headers} != {1, 2}:
        raise ModelSyntaxError(
            "a two-level model needs both a 'level: 1' and a 'level: 2' block",
            line=headers[0][0],
            column=1,
        )

    def level_of(tok: _Token) -> int:
        before = [lev for line, lev in headers if line < tok.line]
        if not before:
            raise _error(
                "a statement before the first 'level:' block; in a two-level model every "
                "relation sits in 'level: 1' or 'level: 2'",
                tok,
            )
        return before[-1]

    return "\n".join(lines), level_of


def _check_labels(
    statements: Sequence[Statement],
    defined: Sequence[tuple[DefinedParameter, list[tuple[str, _Token]], _Token]],
    constraints: Sequence[tuple[Constraint, list[tuple[str, _Token]]]],
) -> None:
    labels = {lab for s in statements for lab in s.modifier.labels if lab}
    available = set(labels)
    for param, found, name_tok in defined:
        if param.name in labels:
            raise _error(
                f"':=' defines {param.name!r}, which is already a parameter label", name_tok
            )
        if param.name in available:
            raise _error(f"{param.name!r} is defined twice with ':='", name_tok)
        for lab, tok in found:
            if lab == param.name:
                raise _error(f"{param.name!r} is defined in terms of itself", tok)
            if lab not in available:
                raise _error(_unknown_label_message(lab, ":=", available), tok)
        available.add(param.name)
    for _, found in constraints:
        for lab, tok in found:
            if lab not in available:
                raise _error(_unknown_label_message(lab, "constraint", available), tok)


def _unknown_label_message(label: str, where: str, available: Iterable[str]) -> str:
    known = ", ".join(sorted(available)) or "none"
    what = "a ':=' expression" if where == ":=" else "a constraint"
    return (
        f"unknown label {label!r} in {what}; labels must be given to parameters "
        f"(as in a*x) or defined by an earlier ':='; known labels: {known}"
    )


# ---------------------------------------------------------------------------------------------
# printing
# ---------------------------------------------------------------------------------------------


def _check_name(name: str, what: str) -> str:
    if not _NAME_RE.fullmatch(name) or name == "NA":
        raise SpecificationError(
            f"the {what} {name!r} cannot be written as lavaan syntax; names start with a "
            "letter and contain only letters, digits, '_' and '.'"
        )
    return name


# R words that cannot stand as bare labels in lavaan syntax (R would read TRUE as 1)
_R_RESERVED = frozenset(
    "if else repeat while function for in next break TRUE FALSE NULL Inf NaN NA "
    "NA_integer_ NA_real_ NA_complex_ NA_character_ T F".split()
)


def _format_label(label: str) -> str:
    if _NAME_RE.fullmatch(label) and label not in _R_RESERVED and not label.startswith("_"):
        return label
    if not label or "\n" in label or ('"' in label and "'" in label):
        raise SpecificationError(f"the label {label!r} cannot be written as lavaan syntax")
    return f"'{label}'" if '"' in label else f'"{label}"'


def _quoted(label: str) -> str:
    if not label or "\n" in label or ('"' in label and "'" in label):
        raise SpecificationError(f"the label {label!r} cannot be written as lavaan syntax")
    return f"'{label}'" if '"' in label else f'"{label}"'


def _format_modifier(modifier: Modifier) -> list[str]:
    parts: list[str] = []
    if modifier.fixed:
        values = ["NA" if v is None else _format_number(v) for v in modifier.fixed]
        parts.append(values[0] if len(values) == 1 else f"c({', '.join(values)})")
    if modifier.labels:
        if any(lab is None for lab in modifier.labels):
            shown = ", ".join("NA" if lab is None else _quoted(lab) for lab in modifier.labels)
            parts.append(f"label({shown})")
        else:
            shown_labels = [_format_label(str(lab)) for lab in modifier.labels]
            parts.append(
                shown_labels[0] if len(shown_labels) == 1 else f"c({', '.join(shown_labels)})"
            )
    if modifier.starts:
        values = ["NA" if v is None else _format_number(v) for v in modifier.starts]
        parts.append(
            f"start({values[0]})" if len(values) == 1 else f"start(c({', '.join(values)}))"
        )
    return parts


def format_model(spec: ModelSpec) -> str:
    """Print a :class:`ModelSpec` as lavaan model syntax.

    Parameters
    ----------
    spec : ModelSpec
        The specification.

    Returns
    -------
    str
        One line per run of consecutive statements with the same (lhs, operator), its
        terms joined by ``+`` with their modifiers written back (``c(...)`` for per-group
        values, numbers in their shortest round-tripping form), then the ``:=`` definitions and the
        constraints.

    Raises
    ------
    SpecificationError
        If a name or label cannot be written as syntax (for example a name with a space)
        or a fixed value is not finite.

    Notes
    -----
    ``parse_model(format_model(spec))`` equals ``spec`` up to the ``line`` fields (and
    expressions in canonical form, see :func:`normalize_expression`). Only *consecutive*
    statements share a line, so the statement order, which fixes the order of the
    parameter table (and the marker indicator of each factor), survives the round trip.

    Examples
    --------
    What ``lavaan::lavaanify`` would read back:

    >>> print(format_model(parse_model("f =~ x1 + a*x2; f =~ x3; y ~ 1 + f; f ~~ y")))
    f =~ x1 + a*x2 + x3
    y ~ 1
    y ~ f
    f ~~ y
    """
    runs: list[tuple[str, str, list[Statement]]] = []
    ordered = sorted(spec.statements, key=lambda st: st.level)  # stable: order kept per level
    for s in ordered:
        if (
            runs
            and runs[-1][0] == s.lhs
            and runs[-1][1] == s.op
            and runs[-1][2][0].level == s.level
        ):
            runs[-1][2].append(s)
        else:
            runs.append((s.lhs, s.op, [s]))
    lines: list[str] = []
    current = 0
    for lhs, op, members in runs:
        if members[0].level != current:
            current = members[0].level
            lines.append(f"level: {current}")
        _check_name(lhs, "variable name")
        terms = []
        for s in members:
            if op == "~1":
                rhs = "1"
            else:
                rhs = _check_name(s.rhs, "variable name")
            parts = _format_modifier(s.modifier)
            if len(parts) <= 1:
                terms.append("*".join([*parts, rhs]))
            else:
                # lavaan reads only one modifier per term (in a chain such as NA*a*x it
                # silently keeps just the label), so each kind is written as a repeated
                # term, which lavaan and parse_model merge: NA*x + a*x + start(0.5)*x
                terms.extend(f"{part}*{rhs}" for part in parts)
        shown_op = "~" if op == "~1" else op
        indent = "    " if current else ""
        lines.append(f"{indent}{lhs} {shown_op} {' + '.join(terms)}")
    for d in spec.defined:
        lines.append(
            f"{_check_name(d.name, 'defined parameter name')} := "
            f"{normalize_expression(d.expression)}"
        )
    for c in spec.constraints:
        lines.append(f"{normalize_expression(c.lhs)} {c.op} {normalize_expression(c.rhs)}")
    return "\n".join(lines)
