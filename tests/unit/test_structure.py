"""The code's shape: no import cycle and no module over 400 lines, in chalicelib/ and tools/."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def modules(top: str) -> dict[str, Path]:
    """Dotted module name → file, for every .py under `top`."""
    out = {}
    for path in sorted((ROOT / top).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The known modules `name` imports (also inside functions: a cycle there is a cycle)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # a package's own __init__
                found.add(t)
    return found


def cycles(top: str) -> list[list[str]]:
    known = modules(top)
    graph = {n: imports_of(n, p, known) for n, p in known.items()}
    found, state = [], {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = "open"
        for m in sorted(graph[n]):
            if state.get(m) == "open":
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m, stack + [m])
        state[n] = "done"

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    return found


@pytest.mark.parametrize("top", ["chalicelib", "tools"])
def test_no_import_cycle(top):
    assert cycles(top) == []


@pytest.mark.parametrize("top", ["chalicelib", "tools"])
def test_no_module_over_400_lines(top):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / top).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_app_py_is_under_400_lines_too():
    """The table of contents stays short: the organisers' routes are a blueprint."""
    assert len((ROOT / "app.py").read_text().splitlines()) <= MAX_LINES


def test_the_cycle_finder_sees_a_cycle(tmp_path, monkeypatch):
    """Guards the test itself: two modules that import each other are a cycle."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert cycles("pkg") == [["pkg.a", "pkg.b", "pkg.a"]]
