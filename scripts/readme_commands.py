"""Print the Quick start command lines of README.md (all, or only 'install' / 'test').

.ci/run takes the test line from here, so CI runs exactly what the README tells people to run.
"""

import re
import sys
from pathlib import Path


def quick_start_commands(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", section, re.S)
    return [line.strip() for line in block.group(1).splitlines() if line.strip()] if block else []


if __name__ == "__main__":
    commands = quick_start_commands(Path(__file__).resolve().parent.parent / "README.md")
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which == "install":
        print(commands[0])
    elif which == "test":
        print(commands[1])
    else:
        print("\n".join(commands))
