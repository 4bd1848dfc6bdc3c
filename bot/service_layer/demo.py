"""Demo data: 2 sectors, 20 clients (fictitious phones, an e-mail for a few), caregivers,
4 weeks of interventions placed around the rule boundaries (relative to ``now``), and demo
logins (the sector offices ``bureau.nord`` for Nord and ``bureau.sud`` for Sud, the phone
line ``accueil`` for both).  Re-running it moves the boundary
interventions relative to the new ``now`` (idempotent upsert, same identifiers).

The demo goes only into an empty store or one that holds exactly the demo
(:func:`store_contents`); a production start refuses a store where a demo login still has
the public :data:`DEMO_PASSWORD` (:func:`logins_with_demo_password`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Tuple

from bot.domain.clock import PARIS
from bot.domain.errors import InvalidInput
from bot.domain.passwords import verify_password
from bot.adapters.planning_import import PlanningRow
from bot.service_layer import services

DEMO_PASSWORD = "amper-demo"

SECTORS = {
    "Nord": dict(office_email="bureau.nord@amper.example", office_phone="01 40 00 00 01"),
    "Sud": dict(office_email="bureau.sud@amper.example", office_phone="04 90 00 00 02"),
}
NAMES = [
    "Mme Jeanne Dupont", "M. Louis Martin", "Mme Suzanne Bernard", "M. André Petit",
    "Mme Paulette Durand", "M. René Leroy", "Mme Odette Moreau", "M. Marcel Simon",
    "Mme Yvonne Laurent", "M. Robert Lefebvre", "Mme Germaine Michel", "M. Henri Garcia",
    "Mme Simone David", "M. Roger Bertrand", "Mme Lucienne Roux", "M. Maurice Vincent",
    "Mme Marcelle Fournier", "M. Raymond Morel", "Mme Denise Girard", "M. Georges Andre",
]
CAREGIVERS = {"Nord": ["Marie Lambert", "Sophie Caron", "Karim Haddad"],
              "Sud": ["Julie Fabre", "Nadia Benali", "Thomas Roche"]}
SERVICES = ["Aide au lever", "Ménage", "Courses", "Aide au repas", "Aide au coucher",
            "Accompagnement"]
#: The demo staff accounts and the sectors they serve (issue 21): two sector offices (role
#: ``office``, issue 22) and the phone line (role ``staff``).
STAFF_SECTORS = {"bureau.nord": ["Nord"], "bureau.sud": ["Sud"], "accueil": ["Nord", "Sud"]}
#: The demo clients given an e-mail address (client1001@example.org…).
WITH_EMAIL = ("1001", "1002", "1011")
#: Offsets from now, chosen around the 48-hour and 10-day boundaries.
BOUNDARIES = [timedelta(hours=24), timedelta(hours=47), timedelta(hours=49),
              timedelta(hours=72), timedelta(days=5), timedelta(days=9), timedelta(days=11),
              timedelta(days=15)]


@dataclass
class DemoSummary:
    interventions: int = 0
    clients: int = 0
    logins: List[Tuple[str, str, Optional[str]]] = field(default_factory=list)
    password: str = DEMO_PASSWORD


def demo_contact(number: str) -> Tuple[str, str]:
    """(phone, e-mail) of a demo client: « 06 00 00 10 01 » for 1001, an e-mail for a few
    ("" for the others)."""
    email = f"client{number}@example.org" if number in WITH_EMAIL else ""
    return f"06 00 00 {number[:2]} {number[2:]}", email


def demo_rows(now: datetime) -> List[PlanningRow]:
    # Round up to the next 5 minutes: boundary offsets stay on their side of the boundary.
    base = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
    base += timedelta(minutes=(5 - base.minute % 5) % 5 or 5)
    rows: List[PlanningRow] = []
    for i, name in enumerate(NAMES):
        number = str(1001 + i)
        sector = "Nord" if i < 10 else "Sud"
        caregiver = CAREGIVERS[sector][i % 3]
        phone, email = demo_contact(number)
        contact = dict(client_phone=phone, client_email=email)
        for k, offset in enumerate(BOUNDARIES):
            start = (base + offset).astimezone(PARIS)
            rows.append(PlanningRow(
                line=0, intervention_id=f"DEMO-{number}-B{k + 1}", client_id=number,
                client_name=name, sector=sector, caregiver=caregiver, start=start,
                end=start + timedelta(hours=1), service=SERVICES[(i + k) % len(SERVICES)],
                **contact))
        # a regular weekly visit over the next 4 weeks, at a fixed local time
        today = now.astimezone(PARIS).date()
        first_day = today + timedelta(days=(i % 5 - today.weekday()) % 7 or 7)
        for week in range(4):
            day = first_day + timedelta(weeks=week)
            start = datetime(day.year, day.month, day.day, 8 + (i % 5) * 2, 30 if i % 2 else 0,
                             tzinfo=PARIS)
            rows.append(PlanningRow(
                line=0, intervention_id=f"DEMO-{number}-W{week + 1}", client_id=number,
                client_name=name, sector=sector, caregiver=caregiver, start=start,
                end=start + timedelta(minutes=90 if i % 3 else 45),
                service=SERVICES[i % len(SERVICES)], **contact))
    return rows


def demo_logins() -> List[Tuple[str, str, Optional[str]]]:
    """(login, role, client number) of every demo account."""
    clients = [(f"client{1001 + i}", "client", str(1001 + i)) for i in range(len(NAMES))]
    return clients + [("bureau.nord", "office", None), ("bureau.sud", "office", None),
                      ("accueil", "staff", None)]


def demo_intervention_ids() -> List[str]:
    return [f"DEMO-{1001 + i}-{kind}{k + 1}" for i in range(len(NAMES))
            for kind, count in (("B", len(BOUNDARIES)), ("W", 4)) for k in range(count)]


EMPTY, DEMO, OTHER = "empty", "demo", "other"


def store_contents(uow) -> str:
    """``empty`` (no planning, no sector), ``demo`` (exactly the demo's interventions and
    sectors, requests made on them included) or ``other`` (anything else: real data)."""
    ids = demo_intervention_ids()
    with uow:
        count = uow.repo.count_interventions()
        sectors = {s.name for s in uow.repo.list_sectors()}
        if count == 0:
            return EMPTY if not sectors else OTHER
        if count != len(ids) or not sectors <= set(SECTORS):
            return OTHER
        if any(uow.repo.get_intervention(i) is None for i in ids):
            return OTHER
    return DEMO


def logins_with_demo_password(uow) -> List[str]:
    """The demo logins that still open with the public DEMO_PASSWORD."""
    found = []
    for login, _role, _number in demo_logins():
        with uow:
            account = uow.repo.get_account(login)
        if account is not None and verify_password(DEMO_PASSWORD, account[1]):
            found.append(login)
    return found


def load_demo_data(uow, now: Optional[datetime] = None,
                   password: str = DEMO_PASSWORD) -> DemoSummary:
    """Loads (or refreshes) the demo; refuses a store holding anything else."""
    if store_contents(uow) == OTHER:
        raise InvalidInput("Données de démonstration refusées : la base contient déjà d'autres "
                           "données (planning ou secteurs réels). Utilisez une base vide "
                           "(AMPER_DATABASE_URL) pour la démonstration.")
    now = now or datetime.now(timezone.utc)
    for name, contact in SECTORS.items():
        services.set_sector(uow, name, **contact)
    rows = demo_rows(now)
    services.import_rows(uow, rows)
    summary = DemoSummary(interventions=len(rows), clients=len(NAMES), password=password)
    for login, role, number in demo_logins():
        services.set_account(uow, login, password, role, number)
        summary.logins.append((login, role, number))
    for login, sectors in STAFF_SECTORS.items():
        services.set_account_sectors(uow, login, sectors)
    return summary
