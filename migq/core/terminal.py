"""Make text that came from outside (cells, file names, notes) inert on a terminal.

A returned file may hold escape sequences (window title, clear screen, OSC 8 links),
C1 controls, bidi overrides or a name of a million characters. ``terminal_safe`` shows
every such character as a visible escape (``\\x1b``, ``\\u202e``), caps the length with a
count of what was cut, and (``markup=True``) escapes rich markup so ``[/b]`` is printed,
never parsed.
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_LIMIT = 2000

# Characters that are never printed raw: C0, DEL, C1, and format characters (Cf: bidi
# overrides and isolates, zero-width marks, ...), line/paragraph separators (Zl, Zp),
# surrogates and unassigned/private code points are escaped too.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# rich markup: an opening bracket that rich could read as a tag.
_MARKUP = re.compile(r"(\\*)(\[[a-zA-Z#/@].*?\])")


def _is_unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _visible(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_markup(text: str) -> str:
    """rich's own escaping, without importing rich (same rule as rich.markup.escape)."""
    def sub(match: "re.Match[str]") -> str:
        backslashes, tag = match.groups()
        return f"{backslashes}{backslashes}\\{tag}"

    text = _MARKUP.sub(sub, text)
    if text.endswith("\\") and not text.endswith("\\\\"):
        text += "\\"
    return text


def terminal_safe(text, limit: int | None = DEFAULT_LIMIT, markup: bool = False) -> str:
    """``text`` as it may be printed: controls shown escaped, at most ``limit`` characters
    of the original kept (the rest counted), rich markup escaped when ``markup``."""
    if text is None:
        return ""
    text = str(text)
    cut = 0
    if limit is not None and len(text) > limit:
        cut = len(text) - limit
        text = text[:limit]
    if any(_is_unsafe(ch) for ch in text):
        text = "".join(_visible(ch) if _is_unsafe(ch) else ch for ch in text)
    if cut:
        text += f"… ({cut:,} more characters)"
    return escape_markup(text) if markup else text


def safe_multiline(text, limit: int | None = DEFAULT_LIMIT, markup: bool = False) -> str:
    """Like ``terminal_safe`` but newlines are kept (for notes and messages of several lines)."""
    if text is None:
        return ""
    return "\n".join(terminal_safe(line, limit, markup) for line in str(text).split("\n"))
