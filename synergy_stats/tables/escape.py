"""Escaping: one function per output format, applied to every piece of user text."""

from __future__ import annotations

import html
import re

__all__ = ["escape_docx", "escape_html", "escape_latex", "escape_markdown", "has_cjk"]

_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "\u2212": r"\ensuremath{-}",  # a true minus in every engine
    "\u2014": "---",
    "\u2013": "--",
    "\u00b2": r"\textsuperscript{2}",
    "\u03c7": r"\ensuremath{\chi}",
    "\u03b2": r"\ensuremath{\beta}",
    "\u0394": r"\ensuremath{\Delta}",
    "\u03b1": r"\ensuremath{\alpha}",
    "\u03c9": r"\ensuremath{\omega}",
    "\u03bb": r"\ensuremath{\lambda}",
    "\u2192": r"\ensuremath{\rightarrow}",
    "\u2264": r"\ensuremath{\leq}",
    "\u2265": r"\ensuremath{\geq}",
    "\u00d7": r"\ensuremath{\times}",
    "\n": " ",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX))

_MD_SPECIAL = set("\\`*_{}[]<>#|~^$&")

_CJK_RE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def has_cjk(text: str) -> bool:
    """Return True if ``text`` contains Chinese, Japanese or Korean characters or punctuation."""
    return bool(_CJK_RE.search(text))


def escape_latex(text: str) -> str:
    r"""Escape text for LaTeX (pdflatex with T1 fonts, or xelatex with ctex).

    Every special character ``\ & % $ # _ { } ~ ^ < > |`` is replaced by a command that
    prints it; a few Greek letters and symbols common in table labels become math-mode
    commands so that pdflatex can typeset them.

    Parameters
    ----------
    text : str
        Plain text.

    Returns
    -------
    str
        LaTeX source that typesets ``text`` literally.
    """
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], str(text))


def escape_html(text: str) -> str:
    """Escape text for HTML element content and attribute values (``& < > " '``)."""
    return html.escape(str(text), quote=True).replace("\n", "<br>")


def escape_markdown(text: str) -> str:
    r"""Escape text for a GitHub-flavoured Markdown pipe-table cell or paragraph.

    Markdown punctuation (``\ ` * _ { } [ ] < > # | ~ ^ $ &``) is backslash-escaped, which
    CommonMark allows for any ASCII punctuation; newlines become spaces.
    """
    out = []
    for ch in str(text).replace("\n", " "):
        out.append("\\" + ch if ch in _MD_SPECIAL else ch)
    return "".join(out)


def escape_docx(text: str) -> str:
    """Make text safe for a Word document: drop characters XML 1.0 cannot hold."""
    return _XML_BAD.sub("", str(text))
