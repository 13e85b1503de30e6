"""Rewrite the golden Block Kit files in tests/fixtures/ from today's renderers.

Run after a deliberate rendering change, then review `git diff tests/fixtures`: ``python -m tests.regenerate_golden``.
Test runs never write these files, so a deleted or stale golden file fails the suite.
"""

from __future__ import annotations

import json

from .test_render import FIXTURES, GOLDEN, as_data


def main() -> None:
    for name, build in GOLDEN.items():
        path = FIXTURES / name
        path.write_text(json.dumps(as_data(build()), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
