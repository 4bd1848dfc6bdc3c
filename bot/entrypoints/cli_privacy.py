"""``amper purge``, ``amper forget`` and ``amper export-client``: retention and the clients'
rights (docs/privacy.md).  The booking store through the services; the conversations in
Rasa's tracker store (``endpoints.yml``, or ``--tracker-url``)."""
from __future__ import annotations

import json
import sys

from bot.entrypoints.cli import _ensure_schema, _uow, registrar

TRACKER_HELP = ("base des conversations (défaut : le tracker store de endpoints.yml, "
                "var/tracker.db)")


def _conversations(args):
    from bot.adapters.conversations import ConversationStore

    return ConversationStore(args.tracker_url)


@registrar
def _register_privacy(subparsers) -> None:
    purge = subparsers.add_parser(
        "purge", help="appliquer les durées de conservation (conversations, demandes closes, "
                      "messages remis, votes, questions sans réponse, demandes de rappel)")
    purge.add_argument("--dry-run", action="store_true",
                       help="dire ce qui serait effacé, sans rien modifier")
    purge.add_argument("--tracker-url", metavar="URL", help=TRACKER_HELP)
    purge.set_defaults(func=_cmd_purge)

    forget = subparsers.add_parser(
        "forget", help="effacer les données d'un client (droit à l'effacement)")
    forget.add_argument("client", metavar="CLIENT", help="numéro du client")
    forget.add_argument("--yes", action="store_true",
                        help="effacer vraiment (sans : dire ce qui serait effacé)")
    forget.add_argument("--tracker-url", metavar="URL", help=TRACKER_HELP)
    forget.set_defaults(func=_cmd_forget)

    export = subparsers.add_parser(
        "export-client", help="tout ce qui est gardé sur un client, en JSON (droit d'accès)")
    export.add_argument("client", metavar="CLIENT", help="numéro du client")
    export.add_argument("--out", metavar="FICHIER", help="fichier à écrire (sinon la sortie)")
    export.add_argument("--tracker-url", metavar="URL", help=TRACKER_HELP)
    export.set_defaults(func=_cmd_export)


def _cmd_purge(args) -> int:
    from bot import settings
    from bot.service_layer import services

    _ensure_schema()
    retention = settings.retention()
    conversations = _conversations(args)
    try:
        report = services.purge(_uow(), conversations, retention=retention,
                                dry_run=args.dry_run)
    finally:
        conversations.close()
    print(f"Durées de conservation : conversations {retention.conversations_days} j après le "
          f"dernier message, demandes closes {retention.requests_days} j, contenus des "
          f"messages remis {retention.outbox_days} j, votes sur les réponses "
          f"{retention.feedback_days} j, questions sans réponse {retention.unanswered_days} j, "
          f"demandes de rappel {retention.callbacks_days} j après leur prise.")
    print("\n".join(report.lines_fr()))
    return 0


def _cmd_forget(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    conversations = _conversations(args)
    try:
        report = services.forget_client(_uow(), args.client, conversations, apply=args.yes)
    finally:
        conversations.close()
    print("\n".join(report.lines_fr()))
    if args.yes:
        print("Pensez à retirer aussi le client du logiciel de planning : un nouvel import "
              "remettrait son nom.")
    return 0


def _cmd_export(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    conversations = _conversations(args)
    try:
        data = services.export_client(_uow(), args.client, conversations)
    finally:
        conversations.close()
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        print(f"Données du client n° {args.client} écrites dans {args.out} : "
              f"{len(data['requests'])} demande(s), {len(data['interventions'])} "
              f"intervention(s), {len(data.get('conversations', {}))} conversation(s).",
              file=sys.stderr)
    else:
        print(text)
    return 0
