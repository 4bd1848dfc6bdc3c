"""``amper feedback report``: the votes « utile / pas utile » on the chat's answers, counted
by intent, the least useful answers first (what a vote keeps: docs/privacy.md)."""
from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Optional

from bot.entrypoints.cli import _ensure_schema, _uow, actions_of, registrar

HEADERS = ("intention", "utile", "pas utile", "total")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date invalide (« {value[:30]} ») : AAAA-MM-JJ attendu, par exemple 2026-12-01"
        ) from None


@registrar
def _register_feedback(subparsers) -> None:
    sub = actions_of(subparsers, "feedback", "votes « utile / pas utile » sur les réponses")
    report = sub.add_parser("report", help="compter les votes par intention (les réponses "
                                           "jugées les moins utiles d'abord)")
    report.add_argument("--since", metavar="AAAA-MM-JJ", type=_day,
                        help="à partir de ce jour (inclus)")
    report.add_argument("--until", metavar="AAAA-MM-JJ", type=_day,
                        help="jusqu'à ce jour (inclus)")
    report.add_argument("--json", action="store_true", help="sortie JSON (une liste d'objets)")
    report.set_defaults(func=_cmd_feedback_report)


def _period(since: Optional[date], until: Optional[date]) -> str:
    if since and until:
        return f"du {since:%d/%m/%Y} au {until:%d/%m/%Y}"
    if since:
        return f"depuis le {since:%d/%m/%Y}"
    if until:
        return f"jusqu'au {until:%d/%m/%Y}"
    return "toute la période conservée"


def _cmd_feedback_report(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    rows = services.feedback_report(_uow(), since=args.since, until=args.until)
    if args.json:
        print(json.dumps([{"intent": r.intent, "up": r.up, "down": r.down, "total": r.total}
                          for r in rows], ensure_ascii=False, indent=2))
        return 0
    period = _period(args.since, args.until)
    if not rows:
        print(f"Aucun vote sur les réponses ({period}).")
        return 0
    print(f"Votes sur les réponses ({period}), les moins utiles d'abord :")
    table = [HEADERS, *((r.intent, r.up, r.down, r.total) for r in rows),
             ("total", sum(r.up for r in rows), sum(r.down for r in rows),
              sum(r.total for r in rows))]
    width = max(len(str(line[0])) for line in table)
    for intent, *numbers in table:
        print(f"{intent:<{width}}  " + "  ".join(f"{n:>9}" for n in numbers))
    return 0
