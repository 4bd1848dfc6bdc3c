"""``amper dispatch``, ``amper outbox`` and ``amper sector``: forwarding to the sector offices."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional

from bot.domain.fr_format import OUTBOX_STATUS_LABELS_FR, format_datetime
from bot.entrypoints.cli import actions_of, _ensure_schema, _uow, registrar


# --- forwarding to the sector offices: dispatch, outbox, sector -------------------------------

def _setup_dispatch_logging() -> None:
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s [répartiteur] %(message)s",
                                           "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("amper.dispatch")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


@registrar
def _register_dispatch(subparsers) -> None:
    parser = subparsers.add_parser(
        "dispatch", help="transmettre les demandes aux bureaux de secteur (e-mail, webhook)")
    parser.add_argument("--once", action="store_true",
                        help="envoyer ce qui est dû puis s'arrêter (code 1 si un envoi échoue)")
    parser.add_argument("--tracker-url", metavar="URL",
                        help="base des conversations à purger chaque jour avec la base des "
                             "demandes (sinon celle d'endpoints.yml)")
    parser.set_defaults(func=_cmd_dispatch)


def _cmd_dispatch(args) -> int:
    from bot.adapters.conversations import ConversationStore
    from bot.service_layer.dispatch import run_dispatcher

    _ensure_schema()
    _setup_dispatch_logging()
    report = run_dispatcher(once=args.once, conversations=ConversationStore(args.tracker_url))
    if args.once:
        print(f"Envoi terminé : {report.summary_fr()}")
        return 0 if report.ok else 1
    return 0


@registrar
def _register_outbox(subparsers) -> None:
    sub = actions_of(subparsers, "outbox", "file des messages à transmettre aux bureaux")
    ls = sub.add_parser("list", help="lister les messages (tentatives, erreur, prochain essai)")
    ls.add_argument("--json", action="store_true", help="sortie JSON (une liste d'objets)")
    ls.add_argument("--status", help="pending, sending, delivered ou dead")
    ls.add_argument("--reference",
                    help="seulement les messages d'une demande (AMP-…) ou d'une demande de "
                         "rappel (RAP-…)")
    ls.add_argument("--limit", type=int, help="nombre maximal de messages")
    ls.set_defaults(func=_cmd_outbox_list)
    retry = sub.add_parser("retry", help="relancer un message abandonné (dead → pending)")
    retry.add_argument("id", metavar="ID", nargs="?", type=int, help="numéro du message")
    retry.add_argument("--all-dead", action="store_true", help="relancer tous les messages abandonnés")
    retry.set_defaults(func=_cmd_outbox_retry)


def _cmd_outbox_list(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    found = services.list_outbox(_uow(), status=args.status, reference=args.reference,
                                 limit=args.limit)
    if args.json:
        print(json.dumps([m.as_dict() for m in found], ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("Aucun message.")
        return 0
    for m in found:
        label = OUTBOX_STATUS_LABELS_FR.get(m.status, m.status)
        if m.status == "delivered" and m.delivered_at:
            when = f"remis le {format_datetime(m.delivered_at)}"
        elif m.status == "pending" and m.next_attempt_at:
            when = f"prochain essai : {format_datetime(m.next_attempt_at)}"
        elif m.status == "sending" and m.lease_until:
            when = f"bail jusqu'à {format_datetime(m.lease_until)}"
        else:
            when = ""
        line = (f"{m.id:>6}  {m.reference}  {m.channel:<7}  {label:<16}  "
                f"tentatives : {m.attempts:<3} {when}")
        print(line.rstrip())
        if m.last_error and m.status != "delivered":
            print(f"        dernière erreur : {m.last_error}")
    return 0


def _cmd_outbox_retry(args) -> int:
    from bot.service_layer import services
    from bot.domain.errors import InvalidInput

    _ensure_schema()
    if args.id is not None and args.all_dead:
        raise InvalidInput("Indiquez un numéro de message ou --all-dead, pas les deux.")
    count = services.retry_outbox(_uow(), args.id, all_dead=args.all_dead)
    if args.all_dead:
        print(f"{count} message(s) abandonné(s) remis en file d'envoi." if count
              else "Aucun message abandonné.")
    else:
        print(f"Message n° {args.id} remis en file d'envoi : il partira au prochain passage "
              "du répartiteur.")
    return 0


@registrar
def _register_sector(subparsers) -> None:
    sub = actions_of(subparsers, "sector", "coordonnées des bureaux de secteur")
    st = sub.add_parser("set", help="créer ou modifier un secteur")
    st.add_argument("name", metavar="NOM", help="nom du secteur (celui du planning)")
    st.add_argument("--email", required=True, metavar="ADRESSE", help="e-mail du bureau")
    st.add_argument("--phone", metavar="TEL", help="téléphone du bureau")
    st.add_argument("--webhook", metavar="URL",
                    help="adresse https:// du webhook du bureau (facultatif)")
    secret = st.add_mutually_exclusive_group()
    secret.add_argument("--webhook-secret-env", metavar="VARIABLE",
                        help="lire le secret du webhook (16 à 200 caractères) dans cette "
                             "variable d'environnement")
    secret.add_argument("--webhook-secret-file", metavar="FICHIER",
                        help="lire le secret du webhook dans ce fichier (« - » : entrée standard)")
    secret.add_argument("--webhook-secret", help=argparse.SUPPRESS)  # refused: visible in ps
    st.set_defaults(func=_cmd_sector_set)
    ls = sub.add_parser("list", help="lister les secteurs")
    ls.set_defaults(func=_cmd_sector_list)


SECRET_SOURCES = ("--webhook-secret-env VARIABLE, --webhook-secret-file FICHIER ou "
                  "--webhook-secret-file - (entrée standard)")


def _webhook_secret(args) -> Optional[str]:
    """The secret from the variable, the file or stdin named on the command line (never
    the secret itself: a command line is visible to every user in ``ps``)."""
    from bot import settings
    from bot.domain.errors import InvalidInput

    if args.webhook_secret is not None:
        raise InvalidInput("Le secret ne se donne plus sur la ligne de commande (visible dans "
                           f"ps et l'historique du shell) : utilisez {SECRET_SOURCES}.")
    if args.webhook_secret_env:
        value = settings.raw(None, args.webhook_secret_env).strip()
        if not value:
            raise InvalidInput(f"Secret de webhook introuvable : la variable "
                               f"{args.webhook_secret_env[:60]} est vide ou non définie.")
        return value
    if args.webhook_secret_file:
        try:
            if args.webhook_secret_file == "-":
                value = sys.stdin.read()
            else:
                with open(args.webhook_secret_file, encoding="utf-8") as f:
                    value = f.read()
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"Secret de webhook illisible dans « {args.webhook_secret_file} » "
                               f"({type(error).__name__}).") from None
        value = value.strip()
        if not value:
            raise InvalidInput(f"Secret de webhook vide dans « {args.webhook_secret_file} ».")
        return value
    return None


def _cmd_sector_set(args) -> int:
    from bot.adapters.notifications.webhook import webhook_url_problem
    from bot.domain.errors import InvalidInput
    from bot.service_layer import services

    if args.webhook is not None:
        problem = webhook_url_problem(args.webhook.strip())
        if problem:
            raise InvalidInput(f"Adresse de webhook invalide : « {args.webhook.strip()[:100]} » "
                               f"({problem}).")
    secret = _webhook_secret(args)
    if secret is not None and args.webhook is None:
        raise InvalidInput("Le secret de webhook s'utilise avec --webhook.")
    _ensure_schema()
    uow = _uow()
    if args.webhook is not None and secret is None and not any(
            s.name == args.name.strip() and s.webhook_secret for s in services.list_sectors(uow)):
        raise InvalidInput(f"Secret de webhook manquant : donnez-le par {SECRET_SOURCES}.")
    sector = services.configure_sector(uow, args.name, office_email=args.email,
                                       office_phone=args.phone, webhook_url=args.webhook,
                                       webhook_secret=secret)
    details = [f"e-mail {sector.office_email}"]
    if sector.office_phone:
        details.append(f"téléphone {sector.office_phone}")
    if sector.webhook_url:
        details.append(f"webhook {sector.webhook_url} (secret défini)")
    print(f"Secteur « {sector.name} » enregistré : {', '.join(details)}.")
    return 0


def _cmd_sector_list(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    sectors = services.list_sectors(_uow())
    if not sectors:
        print("Aucun secteur.")
        return 0
    for s in sectors:
        email = s.office_email or "AUCUNE ADRESSE E-MAIL (les demandes attendent)"
        hook = ""
        if s.webhook_url or s.webhook_secret:  # the secret itself is never shown
            hook = (f", webhook {s.webhook_url or 'non défini'}, secret "
                    f"{'défini' if s.webhook_secret else 'non défini'}")
        print(f"{s.name} : {email}{hook}")
    return 0
