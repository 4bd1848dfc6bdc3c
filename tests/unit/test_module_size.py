"""No module of the application over ~400 lines (docs/architecture.md: one reason to change
per module).  Migrations are generated and exempt."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400


def test_no_module_is_over_the_limit():
    sources = [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("actions").rglob("*.py")]
    too_long = sorted(
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in sources if "migrations" not in path.parts
        for count in [len(path.read_text(encoding="utf-8").splitlines())] if count > LIMIT)
    assert too_long == [], "split these by concern:\n" + "\n".join(too_long)
