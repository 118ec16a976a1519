"""The shape a newcomer can walk (README «How it works»): layers that only point down, no import circle, small
modules and functions, all SQL in storage/. Read from the code itself, so a change that breaks it fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.config import ROOT

PACKAGES = ("bot", "rag", "storage")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60
# Inside bot/, from the top down: a module may import its own layer or any below, never one above.
ENTRY = {"bot.cli", "bot.web", "bot.app", "bot.scheduler", "bot.reports", "bot.__main__"}
CHANNELS_ADMIN = ("bot.channels", "bot.admin")
PIPELINE = {"bot.service"}
DIALOGUE = {"bot.dialogue"}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of this project that a file imports (type-only imports included: they are dependencies too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _rank(module: str) -> int:
    if module.startswith(("rag", "storage")):
        return 0
    if any(module == e or module.startswith(e + ".") for e in ENTRY):
        return 5
    if module.startswith(CHANNELS_ADMIN):
        return 4
    if module in PIPELINE:
        return 3
    if module in DIALOGUE:
        return 2
    return 1  # features, and what they share (messages, types, capabilities, words of reports, charts)


def test_layers_only_point_down_and_nothing_imports_in_a_circle() -> None:
    modules = _modules()
    graph = {m: _imports(p, set(modules)) - {m} for m, p in modules.items()}
    upward = [(m, d) for m, deps in graph.items() for d in deps
              if _rank(d) > _rank(m) or (m.startswith(("rag", "storage")) and d.startswith("bot"))]
    assert upward == []
    # No circle: every module can be placed after all it imports.
    placed: set[str] = set()
    remaining = dict(graph)
    while remaining:
        ready = [m for m, deps in remaining.items() if deps <= placed]
        assert ready, f"import circle among {sorted(remaining)[:12]}"
        placed.update(ready)
        for m in ready:
            del remaining[m]


def test_modules_and_functions_stay_small() -> None:
    big, long = [], []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES and name != "bot.messages":
            big.append(name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}")
    assert big == [] and long == []


def test_sql_only_in_storage() -> None:
    statement = re.compile(r"(?<![\w.])(?:select|update|delete)\(")
    outside = [f"{p.relative_to(ROOT)}:{i}" for package in ("bot", "rag") for p in (ROOT / package).rglob("*.py")
               for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if statement.search(line)]
    assert outside == []
