"""Administration: sectors (offices' addresses), logins, and the planning import."""
from __future__ import annotations

from typing import List, Optional

from bot.domain.errors import InvalidInput
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
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise InvalidInput(f"Adresse de webhook invalide : {webhook_url}")
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
    an http(s) webhook URL, a secret of 16 to 200 characters (required with a webhook unless
    the sector already has one).  Messages waiting for this configuration leave on the
    dispatcher's next round."""
    from bot.adapters.notifications import is_valid_email, is_valid_webhook_url

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
        if not is_valid_webhook_url(webhook_url):
            raise InvalidInput(f"Adresse de webhook invalide : « {webhook_url[:100]} » "
                               "(http:// ou https:// suivi d'un nom de serveur attendu).")
    if webhook_secret is not None and not 16 <= len(webhook_secret) <= 200:
        raise InvalidInput("Secret de webhook invalide : 16 à 200 caractères attendus.")
    if webhook_secret is not None and webhook_url is None:
        raise InvalidInput("--webhook-secret s'utilise avec --webhook.")
    if webhook_url is not None and webhook_secret is None:
        with uow:
            existing = uow.repo.get_sector((name or "").strip())
        if existing is None or not existing.webhook_secret:
            raise InvalidInput("Secret de webhook manquant : ajoutez --webhook-secret.")
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
        raise InvalidInput("Rôle inconnu : client ou staff.") from None
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

def import_planning(uow, source, *, progress: bool = False):
    """Validate the whole CSV file (PlanningImportError listing every faulty line, nothing
    applied), then upsert it in one transaction.  Returns an ImportReport."""
    from bot.adapters.planning_import import read_planning

    rows = read_planning(source, progress=progress)
    return import_rows(uow, rows, progress=progress)


def import_rows(uow, rows, *, progress: bool = False):
    with uow:
        report = uow.repo.apply_planning_rows(rows, progress=progress)
        uow.commit()
        return report
