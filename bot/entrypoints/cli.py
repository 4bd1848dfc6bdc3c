"""``amper`` command line.

Subcommands register themselves in :func:`build_parser` through :data:`REGISTRARS`; each
one is a thin call into the service layer.  To add one from another module::

    from bot.entrypoints import cli

    @cli.registrar
    def _register_run(subparsers):
        p = subparsers.add_parser("run", help="...")
        p.set_defaults(func=lambda args: ...)   # returns an exit status (0 / None = success)

Errors are printed in French on stderr, without traceback (set AMPER_DEBUG=1 to see it);
exit status 1 for a refused operation, 2 for usage errors, 3 when the store is unreachable.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, List, Optional

from bot.domain.fr_format import format_datetime, format_slot
from bot.domain.model import KIND_LABELS_FR, REASON_LABELS_FR, STATUS_LABELS_FR, Request
from bot.domain.errors import ServiceError, StoreUnavailable
from bot import settings

Registrar = Callable[[argparse._SubParsersAction], None]
REGISTRARS: List[Registrar] = []


def registrar(function: Registrar) -> Registrar:
    """Decorator: add a subcommand registration function."""
    REGISTRARS.append(function)
    return function


class FrenchArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own wording stays English, the frame is French
        self.print_usage(sys.stderr)
        self.exit(2, f"Erreur : {message}\n")


def _uow():
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    return SqlAlchemyUnitOfWork()


def _ensure_schema() -> None:
    from bot.adapters import db
    from bot.service_layer.unit_of_work import is_unavailable

    try:
        db.upgrade()
    except Exception as error:
        if is_unavailable(error):
            raise StoreUnavailable("La base de données est injoignable "
                                   f"({_safe_url()}).") from error
        raise


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    from bot.adapters import db

    return make_url(db.database_url()).render_as_string(hide_password=True)


# --- db --------------------------------------------------------------------------------------

@registrar
def _register_db(subparsers) -> None:
    parser = subparsers.add_parser("db", help="gestion de la base de données")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", parser_class=FrenchArgumentParser)
    sub.required = True
    up = sub.add_parser("upgrade", help="appliquer les migrations (jusqu'à la dernière)")
    up.set_defaults(func=_cmd_db_upgrade)


def _cmd_db_upgrade(args) -> int:
    from bot.adapters import db

    _ensure_schema()
    print(f"Base de données à jour (révision {db.current_revision()}) : {_safe_url()}")
    return 0


# --- import-planning -------------------------------------------------------------------------

@registrar
def _register_import(subparsers) -> None:
    parser = subparsers.add_parser("import-planning", help="importer le planning (CSV)")
    parser.add_argument("file", metavar="FICHIER", help="fichier CSV exporté du logiciel de planning")
    parser.add_argument("--progress", action="store_true",
                        help="barre de progression (automatique dans un terminal)")
    parser.set_defaults(func=_cmd_import)


def _cmd_import(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    started = time.perf_counter()
    report = services.import_planning(_uow(), args.file,
                                      progress=args.progress or sys.stderr.isatty())
    elapsed = time.perf_counter() - started
    print(f"Planning importé en {elapsed:.1f} s. {report.summary_fr()}")
    return 0


# --- demo-data -------------------------------------------------------------------------------

@registrar
def _register_demo(subparsers) -> None:
    from bot.service_layer.demo import DEMO_PASSWORD

    parser = subparsers.add_parser("demo-data", help="charger des données de démonstration")
    parser.add_argument("--password", default=DEMO_PASSWORD,
                        help=f"mot de passe des comptes de démonstration (défaut : {DEMO_PASSWORD})")
    parser.set_defaults(func=_cmd_demo)


def _cmd_demo(args) -> int:
    from bot.service_layer.demo import load_demo_data

    _ensure_schema()
    summary = load_demo_data(_uow(), password=args.password)
    print(f"Données de démonstration chargées : 2 secteurs, {summary.clients} clients, "
          f"{summary.interventions} interventions sur les 4 prochaines semaines.")
    print(f"Comptes de démonstration (mot de passe : {summary.password}) :")
    for login, role, number in summary.logins:
        who = f"client n° {number}" if number else "personnel du bureau"
        print(f"  {login:<14} {who}")
    return 0


# --- requests --------------------------------------------------------------------------------

@registrar
def _register_requests(subparsers) -> None:
    parser = subparsers.add_parser("requests", help="consulter et traiter les demandes")
    sub = parser.add_subparsers(dest="requests_command", metavar="ACTION",
                                parser_class=FrenchArgumentParser)
    sub.required = True
    ls = sub.add_parser("list", help="lister les demandes")
    ls.add_argument("--json", action="store_true", help="sortie JSON (une liste d'objets)")
    ls.add_argument("--sector", help="filtrer par secteur")
    ls.add_argument("--status", help="received, forwarded, acknowledged, done ou refused")
    ls.add_argument("--client", help="filtrer par numéro de client")
    ls.add_argument("--kind", help="cancellation ou schedule_change")
    ls.add_argument("--open", action="store_true", help="seulement les demandes en cours")
    ls.set_defaults(func=_cmd_requests_list)
    show = sub.add_parser("show", help="afficher une demande")
    show.add_argument("reference", metavar="REFERENCE")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_cmd_requests_show)
    st = sub.add_parser("set-status", help="changer le statut d'une demande")
    st.add_argument("reference", metavar="REFERENCE")
    st.add_argument("status", metavar="STATUT",
                    help="forwarded, acknowledged, done ou refused")
    st.add_argument("--actor", required=True, help="identifiant de la personne qui traite")
    st.add_argument("--note", help="remarque courte (jamais d'information médicale)")
    st.set_defaults(func=_cmd_requests_set_status)


def _cmd_requests_list(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    found = services.list_requests(_uow(), sector=args.sector, status=args.status,
                                   client_number=args.client, kind=args.kind, open_only=args.open)
    if args.json:
        data = [services.request_as_dict(r) for r in found]
        for item in data:
            item.pop("history", None)
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("Aucune demande.")
        return 0
    for r in found:
        print(f"{r.reference}  {KIND_LABELS_FR[r.kind]:<21} {STATUS_LABELS_FR[r.status]:<32} "
              f"client {r.client_number:<8} {r.intervention_external_id:<16} "
              f"{format_datetime(r.intervention_start)}  {_consequence(r)}")
    return 0


def _consequence(r: Request) -> str:
    if r.exemption_pending:
        return "non facturée si justificatif médical"
    if r.billable is True:
        return "facturée"
    if r.billable is False:
        return "gratuite"
    return "hors délai" if r.out_of_notice else "dans les délais"


def _cmd_requests_show(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    r = services.get_request(_uow(), args.reference)
    if args.json:
        print(json.dumps(services.request_as_dict(r), ensure_ascii=False, indent=2))
        return 0
    lines = [
        f"Demande {r.reference} — {KIND_LABELS_FR[r.kind]} ({STATUS_LABELS_FR[r.status]})",
        f"Client : {r.client_name} (n° {r.client_number}), secteur {r.sector}",
        f"Intervention : {r.intervention_external_id}, "
        f"{format_slot(r.intervention_start, r.intervention_end)}"
        + (f", {r.service}" if r.service else "") + (f", avec {r.caregiver}" if r.caregiver else ""),
    ]
    if r.new_start:
        lines.append(f"Nouvel horaire demandé : {format_slot(r.new_start, r.new_end)}")
    if r.reason:
        lines.append(f"Motif : {REASON_LABELS_FR[r.reason]}")
    lines.append(f"Décision : {r.decision_code} — {_consequence(r)} "
                 f"(préavis : {r.notice_hours:g} h{', hors délai' if r.out_of_notice else ''})")
    lines.append(f"Canal : {'site web' if r.channel.value == 'web' else 'téléphone'}, "
                 f"par {r.actor}, le {format_datetime(r.created_at)}")
    lines.append("Historique :")
    for h in r.history:
        note = f" — {h.note}" if h.note else ""
        lines.append(f"  {format_datetime(h.at)} : {STATUS_LABELS_FR[h.to_status]} ({h.actor}){note}")
    print("\n".join(lines))
    return 0


def _cmd_requests_set_status(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    r = services.change_request_status(_uow(), args.reference, args.status, actor=args.actor,
                                       note=args.note)
    print(f"Demande {r.reference} : {STATUS_LABELS_FR[r.status]}.")
    return 0


# --- run / chat -------------------------------------------------------------------------------

@registrar
def _register_run(subparsers) -> None:
    from bot.entrypoints import chat, launcher

    run = subparsers.add_parser("run", help="démarrer l'assistant (serveurs Rasa et d'actions)")
    launcher.add_arguments(run)
    run.set_defaults(func=launcher.run)
    talk = subparsers.add_parser("chat", help="discuter avec l'assistant lancé, dans le terminal")
    chat.add_arguments(talk)
    talk.set_defaults(func=chat.run)


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
    parser.set_defaults(func=_cmd_dispatch)


def _cmd_dispatch(args) -> int:
    from bot.service_layer.dispatch import run_dispatcher

    _ensure_schema()
    _setup_dispatch_logging()
    report = run_dispatcher(once=args.once)
    if args.once:
        print(f"Envoi terminé : {report.summary_fr()}")
        return 0 if report.ok else 1
    return 0


@registrar
def _register_outbox(subparsers) -> None:
    parser = subparsers.add_parser("outbox", help="file des messages à transmettre aux bureaux")
    sub = parser.add_subparsers(dest="outbox_command", metavar="ACTION",
                                parser_class=FrenchArgumentParser)
    sub.required = True
    ls = sub.add_parser("list", help="lister les messages (tentatives, erreur, prochain essai)")
    ls.add_argument("--json", action="store_true", help="sortie JSON (une liste d'objets)")
    ls.add_argument("--status", help="pending, sending, delivered ou dead")
    ls.add_argument("--reference", help="seulement les messages d'une demande")
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
        label = services.OUTBOX_STATUS_LABELS_FR.get(m.status, m.status)
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
    parser = subparsers.add_parser("sector", help="coordonnées des bureaux de secteur")
    sub = parser.add_subparsers(dest="sector_command", metavar="ACTION",
                                parser_class=FrenchArgumentParser)
    sub.required = True
    st = sub.add_parser("set", help="créer ou modifier un secteur")
    st.add_argument("name", metavar="NOM", help="nom du secteur (celui du planning)")
    st.add_argument("--email", required=True, metavar="ADRESSE", help="e-mail du bureau")
    st.add_argument("--phone", metavar="TEL", help="téléphone du bureau")
    st.add_argument("--webhook", metavar="URL", help="adresse du webhook du bureau (facultatif)")
    st.add_argument("--webhook-secret", metavar="SECRET",
                    help="secret partagé pour signer le webhook (16 caractères au moins)")
    st.set_defaults(func=_cmd_sector_set)
    ls = sub.add_parser("list", help="lister les secteurs")
    ls.set_defaults(func=_cmd_sector_list)


def _cmd_sector_set(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    sector = services.configure_sector(_uow(), args.name, office_email=args.email,
                                       office_phone=args.phone, webhook_url=args.webhook,
                                       webhook_secret=args.webhook_secret)
    details = [f"e-mail {sector.office_email}"]
    if sector.office_phone:
        details.append(f"téléphone {sector.office_phone}")
    if sector.webhook_url:
        details.append(f"webhook {sector.webhook_url} (secret enregistré)")
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
        hook = f", webhook {s.webhook_url}" if s.webhook_url else ""
        print(f"{s.name} : {email}{hook}")
    return 0


# --- main ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="amper", description="Assistant AMPER : base des demandes, planning, outils.")
    parser.add_argument("--database-url", metavar="URL",
                        help="base de données (sinon AMPER_DATABASE_URL, sinon var/amper.db)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMANDE",
                                       parser_class=FrenchArgumentParser)
    subparsers.required = True
    for register in REGISTRARS:
        register(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["AMPER_DATABASE_URL"] = args.database_url
    problems = settings.check()
    if problems:
        print(settings.report(problems), file=sys.stderr)
        return 2
    try:
        status = args.func(args)
        return 0 if status is None else int(status)
    except StoreUnavailable as error:
        print(f"Erreur : {error.message}", file=sys.stderr)
        return 3
    except ServiceError as error:
        print(f"Erreur : {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # never a traceback for the user
        if settings.servers().debug:
            raise
        print(f"Erreur inattendue : {type(error).__name__}: {error} "
              "(relancez avec AMPER_DEBUG=1 pour le détail).", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
