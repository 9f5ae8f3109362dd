"""The README's promises and the command reference stay true (sqlite-utils' test_docs idea)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(script: str):
    spec = importlib.util.spec_from_file_location(script, ROOT / "scripts" / f"{script}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_opens_with_one_sentence_then_two_quick_start_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = text.split("## Quick start")[0].split("\n", 2)[2].strip()
    assert intro.count(". ") == 0 and intro.endswith("."), "the README opens with exactly one sentence"
    commands = _load("readme_commands").quick_start_commands(ROOT / "README.md")
    assert len(commands) == 2
    install, tests = commands
    assert install.startswith("pip install ") and "migq " in install
    assert "pytest" in tests and "[test]" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_line = _load("readme_commands").quick_start_commands(ROOT / "README.md")[1]
    assert test_line in ci.splitlines(), "the README's test line must stand verbatim in .ci/run"
    assert "pg-for-tests.sh start" in ci


def _all_docs() -> str:
    parts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(parts)


COMMANDS = [(" ".join(path), cmd) for path, cmd in _load("gen_commands_doc").command_paths()]


@pytest.mark.parametrize("name,cmd", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_and_is_documented(name, cmd):
    assert (cmd.help or "").strip(), f"'migq {name}' has no help text"
    docs = _all_docs()
    assert re.search(rf"migq {re.escape(name)}\b", docs), f"'migq {name}' is not mentioned in README.md or docs/"


def test_every_option_has_help():
    missing = [f"migq {name} {p.opts[0]}" for name, cmd in COMMANDS for p in cmd.params
               if p.param_type_name == "option" and not (getattr(p, "help", "") or "").strip()]
    assert not missing, missing


def test_command_reference_is_current():
    expected = _load("gen_commands_doc").render()
    actual = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/commands.md is stale: run python scripts/gen_commands_doc.py"
