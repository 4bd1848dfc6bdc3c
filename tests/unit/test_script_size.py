"""No browser script over ~400 lines either (docs/architecture.md: one reason to change per
module): every .js of the gateway's pages, static (bot/web/static/) or templated
(bot/web/templates/widget.js)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "bot" / "web"
LIMIT = 400


def test_no_script_is_over_the_limit():
    scripts = [*WEB.joinpath("static").rglob("*.js"), *WEB.joinpath("templates").rglob("*.js")]
    assert WEB / "static" / "common.js" in scripts  # the folders are the right ones
    too_long = sorted(
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in scripts
        for count in [len(path.read_text(encoding="utf-8").splitlines())] if count > LIMIT)
    assert too_long == [], "split these by concern:\n" + "\n".join(too_long)
