"""End to end: request conversations over HTTP with the real Rasa and action servers.

A planning is imported with ``amper import-planning`` (interventions 24 h, 72 h, 5 days and
15 days from now, one client per scenario so that each test can check its own rows), tokens
are minted like the web gateway does, and after each French conversation the store is
read with ``amper requests list --json``: exactly the expected rows, and none at all after an
abort, an unauthenticated attempt or an attempt on another client's intervention.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.chat.identity import mint_token
from bot.domain.fr_format import MONTHS, format_date
from tests.e2e.conftest import E2E_SECRET, OFFICE_PHONE, Client

PARIS = ZoneInfo("Europe/Paris")
REPO = Path(__file__).resolve().parents[2]
AMPER = REPO / ".venv" / "bin" / "amper"
if not AMPER.exists():
    AMPER = Path(sys.executable).with_name("amper")

CLIENTS = {
    "3001": "Mme Arnaud",   # cancellation billed
    "3002": "M. Blanc",     # cancellation exemption pending (hospitalisation)
    "3003": "Mme Colin",    # cancellation free, with an FAQ question in the middle
    "3004": "M. Durand",    # schedule change within notice, by a staff member
    "3005": "Mme Étienne",  # schedule change out of notice, after a too-short slot
    "3006": "M. Fabre",     # abort
    "3007": "Mme Gauthier",  # unauthenticated, then another client's intervention
    "3008": "M. Henry",     # expired token at confirmation
    "3009": "Mme Imbert",   # cancellation turned into a schedule change, "l'après-midi" then "3h"
    "3010": "M. Jacob",     # "où en est ma demande ?", before, after, and inside a form
    "3011": "Mme Klein",    # several interventions cancelled at once
}
OFFSETS = {"24H": timedelta(hours=24), "72H": timedelta(hours=72), "5D": timedelta(days=5),
           "15D": timedelta(days=15)}


def amper(env_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AMPER_DATABASE_URL=env_url)
    proc = subprocess.run([str(AMPER), *args], capture_output=True, text=True, env=env,
                          cwd="/", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


def import_planning(url: str, clients: dict, offsets: dict, directory) -> tuple:
    """One-hour visits E<client>-<label> starting ``offsets`` from this hour, imported with
    ``amper import-planning``; returns ({(client, label): start}, the command's output)."""
    base = datetime.now(PARIS).replace(minute=0, second=0, microsecond=0)
    starts = {}
    lines = ["intervention_id;client_id;client_name;sector;caregiver;start;end;service"]
    for number, name in clients.items():
        for label, offset in offsets.items():
            start = base + offset
            starts[(number, label)] = start
            lines.append(f"E{number}-{label};{number};{name};Nord;Julie Martin;"
                         f"{start.isoformat(timespec='minutes')};"
                         f"{(start + timedelta(hours=1)).isoformat(timespec='minutes')};"
                         "Aide à domicile")
    csv = directory / "planning.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return starts, amper(url, "import-planning", str(csv)).stdout


@pytest.fixture(scope="module")
def planning(stack, tmp_path_factory):
    """Import the planning into the stack's store; returns {(client, "24H"): start}."""
    starts, out = import_planning(stack.config.env["AMPER_DATABASE_URL"], CLIENTS, OFFSETS,
                                  tmp_path_factory.mktemp("planning"))
    assert f"{4 * len(CLIENTS)} intervention(s) créée(s)" in out
    return starts


def requests_of(stack, client: str) -> list:
    out = amper(stack.config.env["AMPER_DATABASE_URL"], "requests", "list", "--json").stdout
    return [r for r in json.loads(out) if r["client_id"] == client]


def token(client: str, **kw) -> str:
    return mint_token(client, secret=E2E_SECRET, **kw)


def texts(responses: list) -> str:
    return " ".join(r.get("text", "") for r in responses)


def button(responses: list, title_part: str) -> str:
    for r in responses:
        for b in r.get("buttons") or []:
            if title_part in b["title"]:
                return b["payload"]
    raise AssertionError(f"no button with {title_part!r} in {responses}")


def day_month(start: datetime) -> str:
    return start.strftime("%d/%m")


def test_cancellation_under_48_hours_is_billed_and_recorded(stack, planning):
    alice, auth = Client(stack), token("3001")
    said = alice.say("Je ne serai pas là demain, merci d'annuler", auth)
    assert "Pour quelle raison" in texts(said)
    said = alice.say(button(said, "Raison personnelle"), auth)
    assert "l'annulation sera facturée" in texts(said) and "Confirmez-vous" in texts(said)
    assert requests_of(stack, "3001") == []  # nothing before the yes
    said = alice.say("oui", auth)
    [row] = requests_of(stack, "3001")
    assert row["reference"] in texts(said)
    assert "sera transmise à votre bureau de secteur" in texts(said)
    assert (row["kind"], row["intervention_id"], row["billable"], row["channel"],
            row["reason_category"]) == ("cancellation", "E3001-24H", True, "web", "personnel")
    # the client sends "oui" again (or the network retries): still one row
    alice.say("oui", auth)
    assert len(requests_of(stack, "3001")) == 1


def test_cancellation_for_hospitalisation_waits_for_a_certificate(stack, planning):
    bob, auth = Client(stack), token("3002")
    said = bob.say("je suis hospitalisé, il faut annuler l'intervention de demain", auth)
    text = texts(said)
    assert "justificatif médical" in text and "jamais dans cette conversation" in text
    assert "Confirmez-vous" in text
    said = bob.say(button(said, "Oui"), auth)
    [row] = requests_of(stack, "3002")
    assert row["exemption_pending"] is True and row["billable"] is None
    assert row["reason_category"] == "hospitalisation" and row["reference"] in texts(said)


def test_free_cancellation_with_a_question_in_the_middle(stack, planning):
    carla, auth = Client(stack), token("3003")
    said = carla.say("je voudrais annuler une intervention", auth)
    assert "Quelle intervention" in texts(said)
    start = planning[("3003", "72H")]
    said = carla.say(button(said, format_date(start)), auth)
    assert "raison" in texts(said)
    said = carla.say("je peux payer en CESU ?", auth)
    assert "CESU" in texts(said) and "raison" in texts(said)  # answered, then the form resumes
    said = carla.say("raison personnelle", auth)
    assert "l'annulation est gratuite" in texts(said)
    carla.say("oui", auth)
    [row] = requests_of(stack, "3003")
    assert (row["intervention_id"], row["billable"], row["decision_code"]) == \
        ("E3003-72H", False, "cancellation_free")


def test_staff_moves_an_intervention_within_the_notice(stack, planning):
    staff, auth = Client(stack), token("3004", role="staff", staff="agent.nord")
    old = planning[("3004", "15D")]
    new_day = old + timedelta(days=2)
    said = staff.say(f"je voudrais déplacer l'intervention du {day_month(old)}", auth)
    assert "3004" in texts(said) and "Quel jour" in texts(said)
    said = staff.say(f"le {day_month(new_day)} à 15h30", auth)
    assert "Jusqu'à quelle heure" in texts(said)
    said = staff.say("une heure", auth)
    text = texts(said)
    assert "→" in text and "15 h 30–16 h 30" in text and "recevable" in text
    said = staff.say("oui", auth)
    [row] = requests_of(stack, "3004")
    assert (row["kind"], row["channel"], row["actor"], row["out_of_notice"]) == \
        ("schedule_change", "phone", "agent.nord", False)
    assert row["new_start"].startswith(new_day.strftime("%Y-%m-%d") + "T15:30")
    assert row["reference"] in texts(said)


def test_out_of_notice_change_after_a_too_short_slot(stack, planning):
    eve, auth = Client(stack), token("3005")
    old = planning[("3005", "5D")]
    said = eve.say("je voudrais déplacer une intervention", auth)
    said = eve.say(button(said, format_date(old)), auth)
    assert "Quel jour" in texts(said)
    said = eve.say(button(said, "Le même jour"), auth)
    said = eve.say("à 14h" if old.hour != 14 else "à 16h", auth)
    said = eve.say("30 minutes", auth)
    assert "au moins 45 minutes" in texts(said)
    assert requests_of(stack, "3005") == []
    said = eve.say("une heure", auth)
    text = texts(said)
    assert "moins de 10 jours" in text and "pourra la refuser" in text and "hors délai" in text
    eve.say("oui", auth)
    [row] = requests_of(stack, "3005")
    assert row["out_of_notice"] is True and row["decision_code"] == "schedule_change_out_of_notice"


def test_abort_records_nothing(stack, planning):
    fred, auth = Client(stack), token("3006")
    said = fred.say("annulez l'intervention de demain svp", auth)
    assert "raison" in texts(said)
    said = fred.say("laisse tomber", auth)
    assert "aucune demande n'a été enregistrée" in texts(said)
    assert requests_of(stack, "3006") == []


def test_unauthenticated_and_other_clients_attempts_record_nothing(stack, planning):
    gina = Client(stack)
    said = gina.say("annulez mon intervention de demain")
    assert "connectez-vous" in texts(said) and OFFICE_PHONE in texts(said)
    assert "CESU" in gina.text("je peux payer en CESU ?")  # the FAQ still works
    auth = token("3007")
    said = gina.say("je voudrais annuler une intervention", auth)
    said = gina.say('/inform{"intervention_id":"E3001-72H"}', auth)
    assert "ne figure pas dans votre planning" in texts(said)
    assert "Arnaud" not in texts(said)
    gina.say("stop", auth)
    assert requests_of(stack, "3007") == []
    assert all(r["intervention_id"] != "E3001-72H" for r in requests_of(stack, "3001"))


def test_an_expired_token_at_confirmation_records_nothing(stack, planning):
    henry = Client(stack)
    said = henry.say("je suis malade, annulez demain", token("3008"))
    assert "Confirmez-vous" in texts(said)
    said = henry.say("oui", token("3008", ttl_seconds=-60))
    assert "rien n'a été enregistré" in texts(said)
    assert requests_of(stack, "3008") == []


def test_a_cancellation_turned_into_a_schedule_change_keeps_the_intervention(stack, planning):
    iris, auth = Client(stack), token("3009")
    old = planning[("3009", "15D")]
    said = iris.say(f"je voudrais annuler l'intervention du {day_month(old)}", auth)
    assert "raison" in texts(said)
    said = iris.say("finalement je préfère la décaler", auth)
    text = texts(said)
    assert "je laisse la demande d'annulation : rien n'a été enregistré" in text
    assert "Quel jour" in text and format_date(old) in text  # same intervention, not asked again
    new_day = old + timedelta(days=2)
    said = iris.say(f"le {day_month(new_day)} l'après-midi", auth)
    assert "À quelle heure l'après-midi" in texts(said)
    said = iris.say("3h", auth)
    assert "à partir de 15 h" in texts(said)
    said = iris.say("une heure", auth)
    assert "15 h–16 h" in texts(said) and "Confirmez-vous" in texts(said)
    iris.say("oui", auth)
    [row] = requests_of(stack, "3009")  # the schedule change only, no cancellation
    assert (row["kind"], row["intervention_id"]) == ("schedule_change", "E3009-15D")
    assert row["new_start"].startswith(new_day.strftime("%Y-%m-%d") + "T15:00")


def test_where_the_clients_requests_stand_even_in_the_middle_of_a_form(stack, planning):
    jules, auth = Client(stack), token("3010")
    assert "aucune demande" in texts(jules.say("où en est ma demande ?", auth))
    cancelled, moved = planning[("3010", "72H")], planning[("3010", "15D")]
    jules.say(f"je voudrais annuler l'intervention du {day_month(cancelled)}", auth)
    jules.say("raison personnelle", auth)
    jules.say("oui", auth)
    [row] = requests_of(stack, "3010")

    said = jules.say(f"je voudrais déplacer l'intervention du {day_month(moved)}", auth)
    assert "Quel jour" in texts(said)
    said = texts(jules.say("vous avez bien reçu mon annulation ?", auth))
    assert f"Votre demande {row['reference']} (annulation de l'intervention du " \
           f"{format_date(cancelled)}" in said
    assert "transmission en cours" in said or "transmise au bureau de secteur" in said
    assert "Quel jour" in said  # then the schedule change goes on where it was
    assert "aucune demande n'a été enregistrée" in texts(jules.say("stop", auth))
    assert [r["reference"] for r in requests_of(stack, "3010")] == [row["reference"]]
    # no token: nothing is read out
    said = texts(Client(stack).say("où en est ma demande ?"))
    assert "connectez-vous" in said and row["reference"] not in said


def test_several_interventions_cancelled_at_once(stack, planning):
    """A period and "toutes": one recap with each consequence, one yes, one request each."""
    karen, auth = Client(stack), token("3011")
    last = planning[("3011", "5D")]
    said = karen.say(f"je pars en vacances, merci d'annuler toutes mes interventions "
                     f"jusqu'au {last.day} {MONTHS[last.month - 1]}", auth)
    recap = texts(said)
    assert "annulation de 3 interventions, motif : raison personnelle" in recap, recap
    assert "1 sur 3 sera facturée" in recap and "Confirmez-vous" in recap
    assert requests_of(stack, "3011") == []  # nothing before the yes
    said = karen.say("oui", auth)
    rows = requests_of(stack, "3011")
    assert sorted(r["intervention_id"] for r in rows) == ["E3011-24H", "E3011-5D", "E3011-72H"]
    assert [r["billable"] for r in sorted(rows, key=lambda r: r["intervention_id"])] == \
        [True, False, False]
    for row in rows:
        assert row["reference"] in texts(said)
    karen.say("oui", auth)  # again (or a retry): nothing more
    assert len(requests_of(stack, "3011")) == 3
