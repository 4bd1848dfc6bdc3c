"""``amper account sectors LOGIN SECTOR [SECTOR...]``: the sectors a staff account serves
(the phone-line staff see only those sectors' clients, issue 21)."""
from __future__ import annotations

from bot.entrypoints.cli import _ensure_schema, _uow, actions_of, registrar


@registrar
def _register_account(subparsers) -> None:
    sub = actions_of(subparsers, "account", "comptes : secteurs d'un compte conseiller")
    sectors = sub.add_parser("sectors", help="donner ses secteurs à un compte conseiller "
                                             "(remplace les précédents)")
    sectors.add_argument("login", metavar="IDENTIFIANT", help="le compte conseiller")
    sectors.add_argument("sectors", metavar="SECTEUR", nargs="+",
                         help="nom d'un secteur (plusieurs possibles)")
    sectors.set_defaults(func=_cmd_account_sectors)


def _cmd_account_sectors(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    names = services.set_account_sectors(_uow(), args.login, args.sectors)
    print(f"Le compte {args.login.strip()} sert désormais : {', '.join(names)}.")
    return 0
