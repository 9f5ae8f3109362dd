"""Finding the returned files and naming them: the quick ways give what pathlib would."""

from __future__ import annotations

from pathlib import Path

import pytest

from migq.ingest.pipeline import _Displays
from migq.ingest.sources import find_files


def test_files_are_found_and_ordered_as_pathlib_would(tmp_path):
    root = tmp_path / "responses"
    for name in ("a/x.xlsx", "a-b/y.xlsx", "a.b/z.xlsx", "B/w.xlsx", "b/v.xlsx", "é/u.xlsx", "a/deep/er/t.xlsx",
                 "top.xlsx", "a/.hidden.xlsx", "a/~$lock.xlsx", "Thumbs.db", "a/README.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    (root / "link-to-folder").symlink_to(root / "a")  # not followed, as rglob does not
    (root / "link-to-file.xlsx").symlink_to(root / "top.xlsx")
    (root / "broken.xlsx").symlink_to(root / "nowhere")
    by_pathlib = [p for p in sorted(x for x in root.rglob("*") if x.is_file())
                  if p.name not in ("Thumbs.db", "README.md") and not p.name.startswith((".", "~$"))]
    assert find_files([root]) == by_pathlib
    assert [p.relative_to(root).as_posix() for p in by_pathlib][:3] == ["B/w.xlsx", "a/deep/er/t.xlsx", "a/x.xlsx"]


@pytest.mark.parametrize("folder, path", [
    ("responses", "responses/a/x.xlsx"), ("/tmp/in", "/tmp/in/x.xlsx"), ("/in", "/in/b/x.xlsx"), ("/", "/x.xlsx"),
    (".", "x.xlsx"), ("a/b", "a/b/c/x.xlsx"), ("../up", "../up/x.xlsx"), ("responses", "other/x.xlsx"),
    ("resp", "responses/x.xlsx"),
])
def test_a_file_is_shown_from_the_folder_given(folder, path):
    folder, path = Path(folder), Path(path)
    if path.is_relative_to(folder):
        expected = str(path.relative_to(folder.parent)) if folder.name else str(path)
    else:
        expected = str(path)
    assert _Displays([folder])(path) == expected
