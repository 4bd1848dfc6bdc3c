"""The phone-line staff's screen (issue 21, docs/staff-contract.md): the sectors a staff
account serves, finding a caller among the clients of those sectors, and the caller's file
(next interventions with what cancelling or changing them right now would mean, requests,
callbacks).  A staff member never sees a client of another sector: such a client is
reported exactly like an unknown number (:class:`ClientNotFound`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, List, Optional, Sequence, Tuple

from bot.domain.errors import InvalidInput, ServiceError
from bot.domain.model import Intervention, Request, Role
from bot.domain.rule_labels import CancelRule, ChangeRule, cancel_rule, change_rule
from bot.domain.staff import Callback, ClientSummary
from bot.domain.text_keys import digits, words
from bot.service_layer.services.common import _now

#: How many clients a search lists, interventions and requests a caller's file shows.
SEARCH_LIMIT = 20
#: matches read from the store before ranking them
CANDIDATES = 200
FILE_INTERVENTIONS = 20
FILE_REQUESTS = 20
MAX_QUERY = 100
CIVILITIES = frozenset({"m", "mme", "mlle", "madame", "monsieur", "mademoiselle"})


class ClientNotFound(ServiceError):
    code = "client_not_found"
    message = "Client introuvable dans vos secteurs."


#: the accounts that serve sectors: the phone-line staff and the sector offices
SECTOR_ROLES = (Role.STAFF, Role.OFFICE)


# --- the sectors of a staff account --------------------------------------------------------

def staff_sectors(uow, login: str) -> List[str]:
    """The names of the sectors a staff or office account serves, by name; [] for a client
    account, an unknown login or an account given no sector."""
    with uow:
        found = uow.repo.get_account((login or "").strip())
        if found is None or found[0].role not in SECTOR_ROLES:
            return []
        return uow.staff.account_sectors(found[0].login)


def set_account_sectors(uow, login: str, sectors: Iterable[str]) -> List[str]:
    """Give a staff or office account its sectors (replacing the previous ones); returns
    them sorted."""
    login = (login or "").strip()
    names = sorted({(s or "").strip() for s in sectors} - {""})
    with uow:
        found = uow.repo.get_account(login)
        if found is None:
            raise InvalidInput(f"Compte inconnu : « {login[:100]} ».")
        if found[0].role not in SECTOR_ROLES:
            raise InvalidInput(f"Le compte « {login} » est un compte client : seuls les "
                               "comptes conseiller et bureau servent des secteurs.")
        known = {s.name for s in uow.repo.list_sectors()}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InvalidInput("Secteur(s) inconnu(s) : " + ", ".join(unknown)
                               + (" (secteurs existants : " + ", ".join(sorted(known)) + ")."
                                  if known else " (aucun secteur n'existe encore)."))
        uow.staff.set_account_sectors(login, names)
        uow.commit()
    return names


# --- finding a caller ------------------------------------------------------------------------

def search_clients(uow, query: str, sectors: Sequence[str],
                   limit: int = SEARCH_LIMIT) -> List[ClientSummary]:
    """The clients of ``sectors`` matching ``query`` (at most ``limit``), best first: for a
    number, the exact number then by number; for words, the names with a word starting like
    the first word, then by name (without « Mme », « M. »).

    * a query of digits only (spaces, dots, dashes and a leading +33 allowed: « 06 12 »,
      « +33 6 12 ») matches a client number starting with it or a phone holding those
      digits (« 06 12 » finds 06 12 34 56 78);
    * otherwise every word must match: part of the name, accents and case ignored
      (« helene dup » finds « Mme Hélène Dupont »), or of the phone's digits, or the start
      of the number.

    The store compares the words with each client's search key (folded name and phone
    digits, ``clients.search_key``) in one query; measured by ``make bench`` (« Recherche
    d'un client par un conseiller »)."""
    text = (query or "").strip()[:MAX_QUERY]
    if not text or not sectors:
        return []
    if re.fullmatch(r"\+?[\d\s.\-]+", text):
        terms = [digits(text)]
    else:
        terms = words(text)
    terms = [t for t in terms if t]
    if not terms:
        return []
    with uow:
        found = uow.staff.find_clients(list(sectors), terms, CANDIDATES)
    first = terms[0]
    if len(terms) == 1 and first.isdigit():  # a number or a phone: by number
        found.sort(key=lambda c: (c.number != first, not c.number.startswith(first), c.number))
    else:
        found.sort(key=lambda c: (not any(w.startswith(first) for w in _name_words(c.name)),
                                  _name_words(c.name), c.number))
    return found[:max(0, int(limit))]


def _name_words(name: str) -> List[str]:
    """The name's words without the civility (« Mme », « M. »): what results sort by."""
    return [w for w in words(name) if w not in CIVILITIES]


# --- the caller's file ----------------------------------------------------------------------

@dataclass(frozen=True)
class CallerFile:
    """What the staff member sees of a caller: who they are (with phone and e-mail), their
    next interventions each with what cancelling and changing it right now would mean, their
    latest requests (newest first) and their callback requests."""

    client: ClientSummary
    interventions: List[Tuple[Intervention, CancelRule, ChangeRule]]
    requests: List[Request]
    callbacks: List[Callback] = field(default_factory=list)


def client_in_sectors(uow, client_number: str, sectors: Sequence[str]) -> ClientSummary:
    """Inside a unit of work: the client, or ClientNotFound (also for another sector's)."""
    client = uow.staff.client_summary(str(client_number or "").strip())
    if client is None or client.sector not in set(sectors or ()):
        raise ClientNotFound()
    return client


def caller_file(uow, client_number: str, sectors: Sequence[str],
                now: Optional[datetime] = None) -> CallerFile:
    """The caller's file (see :class:`CallerFile`); ClientNotFound for a number unknown or
    outside ``sectors``."""
    now = _now(now)
    with uow:
        client = client_in_sectors(uow, client_number, sectors)
        upcoming = uow.repo.upcoming_interventions(client.number, now, None,
                                                   FILE_INTERVENTIONS)
        requests = uow.repo.list_requests(client_number=client.number, limit=FILE_REQUESTS,
                                          newest_first=True)
        callbacks = uow.callbacks.for_client(client.number)
    return CallerFile(client=client,
                      interventions=[(i, cancel_rule(i, now), change_rule(i, now))
                                     for i in upcoming],
                      requests=requests, callbacks=callbacks)
