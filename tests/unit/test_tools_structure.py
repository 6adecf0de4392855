"""tools/: no import cycle and no module over 400 lines (issue 12)."""
from __future__ import annotations

import ast
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent.parent / "tools"


def imports_of(path: Path) -> set[str]:
    """Every tools module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tools":
                found |= {a.name for a in node.names}
            elif node.module.startswith("tools."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("tools.")}
    return found


def test_tools_has_no_import_cycle():
    graph = {p.stem: imports_of(p) for p in TOOLS.glob("*.py")}

    def visit(mod: str, path: tuple[str, ...]) -> None:
        assert mod not in path, f"import cycle: {' -> '.join(path + (mod,))}"
        for dep in graph.get(mod, ()):
            visit(dep, path + (mod,))
    for mod in graph:
        visit(mod, ())


def test_no_tools_module_is_over_400_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in TOOLS.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_root_is_defined_once():
    assert [p.name for p in TOOLS.glob("*.py") if "\nROOT = " in p.read_text()] == ["localstack.py"]
