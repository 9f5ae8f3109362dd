"""Run the benchmarks: python bench/run.py [send] [ingest] [report] [map].

Each benchmark measures migq and, in the same run, a baseline doing the same I/O with the bare
library, the two timed in alternating rounds, then prints the ratio (migq time / baseline time).
Nothing here asserts a time.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ALL = ["send", "ingest", "report", "map"]


def best_of_alternating(fns: dict, repeat: int = 5) -> dict[str, list[float]]:
    """Wall times of ``repeat`` rounds, each running every function once in turn: on a shared
    machine whose speed drifts over seconds, a baseline timed before migq (or after) would
    meet other conditions; side by side, both meet the same ones."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return times


def side_by_side(baseline, ours, repeat: int = 3) -> tuple[float, float]:
    """Best wall times (the least disturbed by other work) of the baseline and of migq, timed
    in alternating rounds."""
    times = best_of_alternating({"baseline": baseline, "migq": ours}, repeat)
    return min(times["baseline"]), min(times["migq"])


def main(argv: list[str]) -> int:
    chosen = argv or ALL
    for name in chosen:
        if name not in ALL:
            print(f"unknown benchmark {name!r}; choose from {', '.join(ALL)}", file=sys.stderr)
            return 2
        module = importlib.import_module(f"bench_{name}")
        print(f"== {name}: {module.__doc__.strip().splitlines()[0]}")
        for line in module.run():
            print("   " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
