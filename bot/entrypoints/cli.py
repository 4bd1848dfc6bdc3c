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
import os
import sys
import time
from typing import Callable, List, Optional

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


def actions_of(subparsers, name: str, help: str, metavar: str = "ACTION"):
    """A command whose action is required (``amper outbox list``…): its sub-parsers."""
    parser = subparsers.add_parser(name, help=help)
    sub = parser.add_subparsers(dest=f"{name}_command", metavar=metavar,
                                parser_class=FrenchArgumentParser)
    sub.required = True
    return sub


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
    sub = actions_of(subparsers, "db", "gestion de la base de données")
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


# --- main ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="amper", description="Assistant AMPER : base des demandes, planning, outils.")
    parser.add_argument("--database-url", metavar="URL",
                        help="base de données (sinon AMPER_DATABASE_URL, sinon var/amper.db)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMANDE",
                                       parser_class=FrenchArgumentParser)
    subparsers.required = True
    # the other modules' subcommands register when imported (requests first, as in --help)
    from bot.entrypoints import cli_requests  # noqa: F401
    from bot.entrypoints import cli_forwarding  # noqa: F401,E402
    from bot.entrypoints import cli_privacy  # noqa: F401,E402
    from bot.entrypoints import cli_web  # noqa: F401,E402
    from bot.entrypoints import cli_feedback  # noqa: F401,E402
    from bot.entrypoints import cli_accounts  # noqa: F401,E402

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
    except settings.SettingsError as error:  # a section read later than the start (SMTP…)
        print(f"Erreur : {error.message}", file=sys.stderr)
        return 2
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


if __name__ == "__main__":  # pragma: no cover - ``python -m bot.entrypoints.cli`` (the launcher)
    # Run the imported module's main, not this ``__main__`` copy: the subcommands of
    # cli_requests / cli_forwarding register into ``bot.entrypoints.cli.REGISTRARS``.
    from bot.entrypoints import cli as _cli

    sys.exit(_cli.main())
