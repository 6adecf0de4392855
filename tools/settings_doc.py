"""Regenerate the table in docs/SETTINGS.md from chalicelib/settings.py: `python -m tools.settings_doc`."""
from __future__ import annotations

import re
from chalicelib.settings import Settings
from tools.localstack import ROOT

DOC = ROOT / "docs" / "SETTINGS.md"


def table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, f in Settings.model_fields.items():
        default = "required" if f.is_required() else f"`{f.default}`"
        rows.append(f"| `{name.upper()}` | {default} | {f.description} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    text = DOC.read_text()
    text = re.sub(r"\| variable \| default \|.*?\n(?=\n)", table(), text, flags=re.S)
    DOC.write_text(text)


if __name__ == "__main__":
    main()
