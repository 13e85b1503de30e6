"""No function in the engine or the Slack front is longer than 60 lines (migrations excepted): long functions
are where rules hide. Checked on the source, so a new long function fails here, with its place named."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 60


def long_functions(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_no_function_over_sixty_lines():
    paths = [p for room in ("briefings", "bot") for p in sorted((ROOT / room).rglob("*.py"))
             if "migrations" not in p.parts]
    assert len(paths) > 40
    assert long_functions(paths) == []


def test_the_check_measures_what_it_says(tmp_path):
    src = tmp_path / "x.py"
    src.write_text("def short():\n    return 1\n\n\nasync def long():\n" + "    x = 1\n" * 61)
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert long_functions([src]) == ["x.py:5 long (62 lines)"]
    finally:
        ROOT = saved
