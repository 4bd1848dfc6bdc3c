"""The layer rule (docs/architecture.md): what each part of the code may import.

Read from the source with ``ast`` (no import runs), so a new import that crosses a layer
fails here with the file and the line.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: layer -> the project layers it may import (besides itself)
ALLOWED = {
    "bot.domain": set(),
    "bot.adapters": {"bot.domain", "bot.settings", "bot.logs"},
    "bot.service_layer": {"bot.domain", "bot.adapters", "bot.settings", "bot.logs"},
    "bot.chat": {"bot.domain", "bot.service_layer", "bot.settings", "bot.logs"},
    "bot.nlu": {"bot.faq", "bot.settings"},
    "bot.faq": set(),
    "bot.settings": set(),
    "bot.logs": {"bot.settings"},
    "bot.__init__": set(),
    "actions": {"bot.domain", "bot.chat", "bot.faq", "bot.settings", "bot.logs"},
    "bot.entrypoints": {"bot.domain", "bot.adapters", "bot.service_layer", "bot.chat", "bot.nlu",
                        "bot.faq", "bot.settings", "bot.web", "bot.logs"},
    "bot.web": {"bot.settings", "bot.chat", "bot.service_layer", "bot.domain", "bot.faq",
                "bot.logs"},
}
#: the pure domain runs without any framework or database
PURE = ("bot.domain", "bot.faq", "bot.settings")
FRAMEWORKS = ("sqlalchemy", "rasa", "rasa_sdk", "aiohttp", "requests", "alembic", "jwt")


def layer_of(module: str) -> str:
    parts = module.split(".")
    return "actions" if parts[0] == "actions" else ".".join(parts[:2])


def imports(path: Path) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


SOURCES = sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("actions").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_module_imports_only_what_its_layer_may(path):
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    layer = layer_of(module)
    assert layer in ALLOWED, f"{module}: layer {layer} is not in the rule (docs/architecture.md)"
    crossings = []
    for line, name in imports(path):
        if name.split(".")[0] in ("bot", "actions"):
            target = layer_of(name)
            if target != layer and name != "bot" and target not in ALLOWED[layer]:
                crossings.append(f"{path.name}:{line} imports {name} ({layer} may not use {target})")
        elif layer in PURE and name.split(".")[0] in FRAMEWORKS:
            crossings.append(f"{path.name}:{line} imports {name} ({layer} stays pure)")
    assert not crossings, "\n".join(crossings)


def test_the_rule_catches_a_crossing(tmp_path):
    """The check itself: an adapter importing the service layer is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from bot.service_layer.services import x\nimport sqlalchemy\n", encoding="utf-8")
    found = [name for _, name in imports(bad)]
    assert "bot.service_layer.services.x" in found and "sqlalchemy" in found
    assert layer_of("bot.service_layer.services.x") not in ALLOWED["bot.adapters"]
