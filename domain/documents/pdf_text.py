"""Fold any text to what the PDF core fonts can draw (Latin-1), the same way every time.

The core fonts (Helvetica) need no font file, so the PDF bytes do not depend on which fonts a
machine has installed. Their price is Latin-1 only; other characters are folded:

1. NFC first, so `e` + combining acute becomes `é`;
2. newline stays (it breaks lines in a cell), line and paragraph separators become newlines,
   tab, CR and other control characters become a space, invisible format characters (soft
   hyphen, zero-width joiners, direction marks) are dropped; other Latin-1 characters stay;
3. common typography maps to ASCII (`–` → `-`, `“` → `"`, `€` → `EUR`, `…` → `...`);
4. compatibility forms that decompose to Latin-1 are decomposed (`ﬁ` → `fi`, `Ａ` → `A`);
5. letters with marks lose the marks (`ő` → `o`, `Ş` → `S`);
6. anything else becomes `?` (`東京` → `??`). Lone combining marks are dropped.

The HTML, CSV and JSON invoices carry the exact text.
"""

import unicodedata

REPLACEMENT = "?"

_TYPOGRAPHY = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2026": "...",
    "\u2022": "*",
    "\u2020": "+",
    "\u20ac": "EUR",
    "\u2122": "(TM)",
    "\u2153": "1/3",
    "\u2154": "2/3",
    "\u2190": "<-",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2248": "~",
    "\u2260": "!=",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0152": "OE",
    "\u0153": "oe",
}


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _fold_char(char: str) -> str:
    category = unicodedata.category(char)
    if char == "\n" or category in {"Zl", "Zp"}:
        return "\n"
    if category == "Cc":
        return " "
    if category == "Cf":
        return ""
    if _is_latin1(char):
        return char
    if char in _TYPOGRAPHY:
        return _TYPOGRAPHY[char]
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char and _is_latin1(compatible):
        return compatible
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if unicodedata.combining(char):
        return ""
    if base and base != char and _is_latin1(base):
        return base
    return REPLACEMENT


def to_latin1(text: str) -> str:
    """Text the PDF core fonts can draw; see the module docstring for the exact rules."""
    normalized = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return "".join(_fold_char(char) for char in normalized)


def is_lossless(text: str) -> bool:
    """True when `to_latin1` shows the text unchanged (up to line endings and NFC)."""
    return to_latin1(text) == unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
