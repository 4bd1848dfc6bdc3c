"""Administration: sectors (offices' addresses), logins, and the planning import."""
from __future__ import annotations

import time
from typing import Callable, List, Optional

from bot.domain.errors import InvalidInput, ServiceError, StoreUnavailable
from bot.domain.model import Account, Role, Sector
from bot.domain.passwords import hash_password, verify_password


# --- sectors and accounts ---------------------------------------------------------------------

def set_sector(uow, name: str, *, office_email: Optional[str] = None,
               office_phone: Optional[str] = None, webhook_url: Optional[str] = None,
               webhook_secret: Optional[str] = None) -> Sector:
    """Create or update a sector (fields left as None are unchanged)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Nom de secteur manquant ou trop long.")
    if office_email is not None and ("@" not in office_email or len(office_email) > 254):
        raise InvalidInput(f"Adresse e-mail invalide : {office_email}")
    if webhook_url is not None:
        from bot.adapters.notifications import webhook_url_problem

        problem = webhook_url_problem(webhook_url)
        if problem:
            raise InvalidInput(f"Adresse de webhook invalide : « {webhook_url[:100]} » ({problem}).")
    with uow:
        sector = uow.repo.upsert_sector(name, dict(
            office_email=office_email, office_phone=office_phone, webhook_url=webhook_url,
            webhook_secret=webhook_secret))
        uow.commit()
        return sector


def configure_sector(uow, name: str, *, office_email: str, office_phone: Optional[str] = None,
                     webhook_url: Optional[str] = None,
                     webhook_secret: Optional[str] = None) -> Sector:
    """:func:`set_sector` with strict checks (``amper sector set``): a valid e-mail address,
    an https webhook URL (http only to this machine), a secret of 16 to 200 characters (required with a webhook unless
    the sector already has one).  Messages waiting for this configuration leave on the
    dispatcher's next round."""
    from bot.adapters.notifications import is_valid_email, webhook_url_problem

    office_email = (office_email or "").strip()
    if not is_valid_email(office_email):
        raise InvalidInput(f"Adresse e-mail invalide : « {office_email[:100]} » "
                           "(exemple : bureau.nord@amper.fr).")
    if office_phone is not None:
        office_phone = office_phone.strip()
        if not office_phone or len(office_phone) > 40 or not all(
                c.isdigit() or c in " +.()-" for c in office_phone):
            raise InvalidInput(f"Numéro de téléphone invalide : « {office_phone[:40]} ».")
    if webhook_url is not None:
        webhook_url = webhook_url.strip()
        problem = webhook_url_problem(webhook_url)
        if problem:
            raise InvalidInput(f"Adresse de webhook invalide : « {webhook_url[:100]} » "
                               f"({problem}).")
    if webhook_secret is not None and not 16 <= len(webhook_secret) <= 200:
        raise InvalidInput("Secret de webhook invalide : 16 à 200 caractères attendus.")
    if webhook_secret is not None and webhook_url is None:
        raise InvalidInput("Le secret du webhook s'utilise avec --webhook.")
    if webhook_url is not None and webhook_secret is None:
        with uow:
            existing = uow.repo.get_sector((name or "").strip())
        if existing is None or not existing.webhook_secret:
            raise InvalidInput("Secret de webhook manquant : donnez-le par --webhook-secret-env "
                               "NOM_DE_VARIABLE ou --webhook-secret-file FICHIER.")
    return set_sector(uow, name, office_email=office_email, office_phone=office_phone,
                      webhook_url=webhook_url, webhook_secret=webhook_secret)


def list_sectors(uow) -> List[Sector]:
    with uow:
        return uow.repo.list_sectors()


def set_account(uow, login: str, password: str, role, client_number: Optional[str] = None) -> Account:
    """Create or replace a login (password hashed with scrypt)."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput("Rôle inconnu : client, staff (conseiller) ou office (bureau "
                           "de secteur).") from None
    login = (login or "").strip()
    if not login or len(login) > 100 or not password:
        raise InvalidInput("Identifiant ou mot de passe manquant.")
    with uow:
        client_id = None
        if role == Role.CLIENT:
            client_id = uow.repo.client_id(str(client_number)) if client_number else None
            if client_id is None:
                raise InvalidInput(f"Client inconnu : {client_number}")
        uow.repo.upsert_account(login, hash_password(password), role, client_id)
        account = uow.repo.get_account(login)[0]
        uow.commit()
        return account


def authenticate(uow, login: str, password: str) -> Optional[Account]:
    """The account if the password matches, else None."""
    with uow:
        found = uow.repo.get_account((login or "").strip())
    if found is None:
        verify_password(password or "", "scrypt$16384$8$1$00$00")  # similar timing
        return None
    account, stored = found
    return account if verify_password(password or "", stored) else None


# --- planning import ----------------------------------------------------------------------------

def import_planning(uow, source, *, progress: bool = False, batch_size: Optional[int] = None,
                    after_batch: Optional[Callable[[int, int], None]] = None):
    """Validate the whole CSV file (PlanningImportError listing every faulty line, nothing
    applied), then upsert it batch by batch (:func:`import_rows`).  Returns an ImportReport."""
    from bot.adapters.planning_import import read_planning

    rows = read_planning(source, progress=progress)
    return import_rows(uow, rows, progress=progress, batch_size=batch_size,
                       after_batch=after_batch)


def import_rows(uow, rows, *, progress: bool = False, batch_size: Optional[int] = None,
                after_batch: Optional[Callable[[int, int], None]] = None):
    """Upsert validated rows in batches of ``batch_size`` (default ``BATCH_ROWS``), one
    transaction each, so that other writers (a client's request from the chat) get the
    database between two batches instead of waiting for the whole file.  The report adds up
    the batches' exact counts.  ``after_batch(written, total)`` is called after each
    committed batch but the last (a pause point for tests and measurements).

    The import is idempotent: if a batch fails (the database goes away…), the batches already
    committed stay, the error says in French how many rows were written, and running the same
    file again completes it (the written rows count as unchanged)."""
    from bot.adapters.planning_import import BATCH_ROWS, ImportReport, progress_bar

    size = BATCH_ROWS if batch_size is None else int(batch_size)
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    # a client's rows in as few batches as possible (each batch looks its clients up)
    rows = sorted(rows, key=lambda row: row.client_id)
    report = ImportReport()
    bar = progress_bar(len(rows), progress)
    written = 0
    try:
        for first in range(0, max(len(rows), 1), size):
            batch = rows[first:first + size]
            try:
                with uow:
                    part = uow.repo.apply_planning_rows(batch)
                    uow.commit()
            except Exception as error:
                raise _interrupted(error, written, len(rows)) from error
            report.add(part)
            written += len(batch)
            bar.update(len(batch))
            if written < len(rows):
                if after_batch is not None:
                    after_batch(written, len(rows))
                time.sleep(part.pause_after)  # other writers' turn (SQLite's lock is no queue)
    finally:
        bar.close()
    return report


def _interrupted(error: Exception, written: int, total: int) -> ServiceError:
    """The French error of an import stopped after ``written`` of ``total`` rows."""
    if written:
        done = (f"{written} ligne(s) sur {total} ont été enregistrées et le restent ; "
                "relancez la même commande avec le même fichier pour terminer l'import "
                "(les lignes déjà enregistrées seront comptées inchangées).")
    else:
        done = (f"aucune des {total} ligne(s) n'a été enregistrée ; relancez la même commande "
                "quand la base sera de nouveau disponible.")
    if isinstance(error, StoreUnavailable):
        return StoreUnavailable("Import du planning interrompu : la base de données est "
                                f"injoignable ou verrouillée. {done[0].upper()}{done[1:]}")
    cause = error.message if isinstance(error, ServiceError) else type(error).__name__
    return ServiceError(f"Import du planning interrompu ({cause}). {done[0].upper()}{done[1:]}",
                        code="planning_interrupted")
