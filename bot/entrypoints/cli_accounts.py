"""Accounts: ``amper account set LOGIN --role client|staff|office [--client NUMBER]`` (the
password read from standard input, never from the command line) and ``amper account
sectors LOGIN SECTOR [SECTOR...]``: the sectors a phone-line or office account serves (issues
21 and 22)."""
from __future__ import annotations

import getpass
import sys

from bot.entrypoints.cli import _ensure_schema, _uow, actions_of, registrar

ROLES_FR = {"client": "client", "staff": "conseiller", "office": "bureau de secteur"}


@registrar
def _register_account(subparsers) -> None:
    sub = actions_of(subparsers, "account", "comptes : création, secteurs d'un compte")
    create = sub.add_parser("set", help="créer un compte ou changer son mot de passe (lu sur "
                                        "l'entrée standard, jamais en argument)")
    create.add_argument("login", metavar="IDENTIFIANT")
    create.add_argument("--role", required=True, choices=sorted(ROLES_FR),
                        help="client, staff (conseiller) ou office (bureau de secteur)")
    create.add_argument("--client", metavar="NUMERO", help="le numéro du client (rôle client)")
    create.set_defaults(func=_cmd_account_set)
    sectors = sub.add_parser("sectors", help="donner ses secteurs à un compte conseiller ou "
                                             "bureau (remplace les précédents)")
    sectors.add_argument("login", metavar="IDENTIFIANT", help="le compte conseiller ou bureau")
    sectors.add_argument("sectors", metavar="SECTEUR", nargs="+",
                         help="nom d'un secteur (plusieurs possibles)")
    sectors.set_defaults(func=_cmd_account_sectors)


def _cmd_account_set(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    if sys.stdin.isatty():
        password = getpass.getpass("Mot de passe : ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 12:
        print("Mot de passe trop court : 12 caractères au moins.", file=sys.stderr)
        return 2
    account = services.set_account(_uow(), args.login, password, args.role, args.client)
    print(f"Compte {account.login} enregistré ({ROLES_FR[account.role.value]}).")
    if account.role.value != "client":
        print(f"Donnez-lui ses secteurs : amper account sectors {account.login} SECTEUR…")
    return 0


def _cmd_account_sectors(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    names = services.set_account_sectors(_uow(), args.login, args.sectors)
    print(f"Le compte {args.login.strip()} sert désormais : {', '.join(names)}.")
    return 0
