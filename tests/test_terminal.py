"""migq.core.terminal: text from outside is printed inert."""

from __future__ import annotations

import pytest

from migq.core.terminal import terminal_safe


@pytest.mark.parametrize("raw, shown", [
    ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),          # window title
    ("\x1b[2J", "\\x1b[2J"),                              # clear screen
    ("a\x9bb", "a\\x9bb"),                                # C1 CSI
    ("abc\u202edef", "abc\\u202edef"),                    # right-to-left override
    ("line\nbreak", "line\\x0abreak"),
])
def test_controls_and_bidi_overrides_are_shown_escaped(raw, shown):
    out = terminal_safe(raw)
    assert out == shown
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or c == "\u202e" for c in out)


def test_ordinary_text_in_any_script_passes_unchanged():
    for text in ("Côte d'Ivoire", "المغرب", "中国", "Российская Федерация"):
        assert terminal_safe(text) == text


def test_a_huge_name_is_cut_with_a_count_of_what_was_cut():
    out = terminal_safe("x" * 400_000, limit=200)
    assert len(out) < 300 and "399,800" in out


def test_markup_is_escaped_when_asked():
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(terminal_safe("note [/b] and [red]x[/red]", markup=True))
    assert "note [/b] and [red]x[/red]" in console.export_text()

