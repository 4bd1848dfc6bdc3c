"""The ``amper`` command line, run as a real subprocess on each backend."""
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.adapters import db
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

REPO = Path(__file__).resolve().parents[2]
AMPER = REPO / ".venv" / "bin" / "amper"
if not AMPER.exists():  # another virtualenv: the console script next to this interpreter
    AMPER = Path(sys.executable).with_name("amper")


def amper(url, *args, check=True, env=None, input=None):
    env = dict(os.environ, AMPER_DATABASE_URL=url, **(env or {}))
    env.pop("AMPER_DEBUG", None)
    proc = subprocess.run([str(AMPER), *args], capture_output=True, text=True, env=env,
                          cwd="/", timeout=120, input=input)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config()).get_current_head()


def test_cli_end_to_end(empty_url, tmp_path):
    out = amper(empty_url, "db", "upgrade").stdout
    assert f"Base de données à jour (révision {head_revision()})" in out

    out = amper(empty_url, "demo-data").stdout
    assert "client1001" in out and "bureau.nord" in out and "amper-demo" in out

    csv = tmp_path / "planning.csv"
    csv.write_text("intervention_id;client_id;client_name;sector;caregiver;start;end;service\n"
                   "X1;1001;Mme Jeanne Dupont;Nord;Marie Lambert;2030-03-05T09:00;2030-03-05T10:00;Ménage\n",
                   encoding="utf-8-sig")
    out = amper(empty_url, "import-planning", str(csv)).stdout
    assert "1 intervention(s) créée(s)" in out

    uow = SqlAlchemyUnitOfWork(empty_url)
    now = datetime.now(timezone.utc)
    upcoming = services.upcoming_interventions(uow, "1001", now)
    assert len(upcoming) == 13
    late = next(i for i in upcoming if i.external_id == "DEMO-1001-B1")  # ~24 h from now
    assert timedelta(hours=23) < late.start - now <= timedelta(hours=24, minutes=5)
    result = services.create_cancellation_request(
        uow, client_number="1001", intervention_id="DEMO-1001-B1", reason="maladie",
        channel="web", actor="client1001")
    services.create_schedule_change_request(
        uow, client_number="1011", intervention_id="DEMO-1011-B8",
        new_start=late.start + timedelta(days=16), new_end=late.start + timedelta(days=16, hours=1),
        channel="phone", actor="bureau.sud")

    data = json.loads(amper(empty_url, "requests", "list", "--json").stdout)
    assert len(data) == 2
    first = data[0]
    for key in ("reference", "kind", "client_id", "intervention_id", "status", "notice_hours",
                "billable", "exemption_pending", "new_start", "new_end", "created_at", "channel"):
        assert key in first
    assert first["reference"] == result.reference and first["kind"] == "cancellation"
    assert first["exemption_pending"] is True and first["billable"] is None
    assert 23 < first["notice_hours"] <= 24.1 and first["channel"] == "web"
    second = data[1]
    assert second["kind"] == "schedule_change" and second["channel"] == "phone"
    assert datetime.fromisoformat(second["new_start"]).tzinfo is not None

    sud = json.loads(amper(empty_url, "requests", "list", "--json", "--sector", "Sud").stdout)
    assert [d["client_id"] for d in sud] == ["1011"]
    assert json.loads(amper(empty_url, "requests", "list", "--json", "--status", "done").stdout) == []

    shown = amper(empty_url, "requests", "show", result.reference).stdout
    assert result.reference in shown and "justificatif médical" in shown and "Historique" in shown
    out = amper(empty_url, "requests", "set-status", result.reference, "acknowledged",
                "--actor", "bureau.nord").stdout
    assert "prise en compte" in out
    shown = json.loads(amper(empty_url, "requests", "show", result.reference, "--json").stdout)
    assert [h["to_status"] for h in shown["history"]] == ["received", "acknowledged"]


def test_cli_errors_are_french_without_traceback(empty_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("intervention_id,client_id,client_name,sector,caregiver,start,end,service\n"
                   "Y1,1,A,N,,2030-03-05T09:00,2030-03-05T08:00,\n"
                   "Y2,2,B,N,,hier,2030-03-05T08:00,\n", encoding="utf-8")
    cases = [
        (("import-planning", str(bad)), "ligne 3"),
        (("import-planning", str(tmp_path / "absent.csv")), "introuvable"),
        (("requests", "show", "AMP-2030-000001"), "Aucune demande"),
        (("requests", "list", "--status", "bogus"), "Statut inconnu"),
        (("requests", "set-status", "AMP-2030-000001", "done", "--actor", "x"), "Aucune demande"),
    ]
    for args, expected in cases:
        proc = amper(empty_url, *args, check=False)
        assert proc.returncode == 1, (args, proc.stderr)
        assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(amper(empty_url, "requests", "list", "--json").stdout) == []


def test_cli_store_unreachable():
    proc = amper("postgresql+psycopg2://nobody@127.0.0.1:1/none", "requests", "list", check=False)
    assert proc.returncode == 3 and "injoignable" in proc.stderr and "Traceback" not in proc.stderr
    proc = amper("sqlite:////tmp", "requests", "list", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [["requests", "list", "--help"], ["dispatch", "--help"],
                                     ["outbox", "list", "--help"], ["sector", "list", "--help"]])
def test_every_subcommand_as_the_launcher_runs_it(command):
    """``python -m bot.entrypoints.cli`` (how the launcher starts the dispatcher) knows the
    subcommands of every CLI module, not only those of cli.py."""
    proc = subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", *command],
                          capture_output=True, text=True, cwd=str(REPO), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: amper {command[0]}")


def test_demo_data_refused_over_other_data_idempotent_over_the_demo(empty_url, tmp_path):
    assert "amper-demo" in amper(empty_url, "demo-data").stdout
    assert "amper-demo" in amper(empty_url, "demo-data").stdout  # again: same demo, accepted
    other = tmp_path / "other.db"
    other_url = f"sqlite:///{other}"
    csv = tmp_path / "planning.csv"
    csv.write_text("intervention_id;client_id;client_name;sector;caregiver;start;end;service\n"
                   "X1;77;M. Réel;Est;Ana;2030-03-05T09:00;2030-03-05T10:00;Ménage\n",
                   encoding="utf-8")
    amper(other_url, "import-planning", str(csv))
    refused = amper(other_url, "demo-data", check=False)
    assert refused.returncode == 1 and "Données de démonstration refusées" in refused.stderr
    assert services.authenticate(SqlAlchemyUnitOfWork(other_url), "client1001",
                                 "amper-demo") is None


SECTOR_SECRET = "secret-du-bureau-0123456789"


def test_sector_secret_from_env_file_or_stdin_never_printed(empty_url, tmp_path):
    base = ["sector", "set", "Sud", "--email", "sud@amper.fr", "--webhook",
            "https://bureau-sud.example/amper"]
    out = amper(empty_url, *base, "--webhook-secret-env", "AMPER_TEST_SECRET_SUD",
                env={"AMPER_TEST_SECRET_SUD": SECTOR_SECRET})
    assert "secret défini" in out.stdout and SECTOR_SECRET not in out.stdout + out.stderr
    uow = SqlAlchemyUnitOfWork(empty_url)
    assert services.list_sectors(uow)[0].webhook_secret == SECTOR_SECRET

    secret_file = tmp_path / "secret-sud"
    secret_file.write_text(SECTOR_SECRET + "-fichier\n", encoding="utf-8")
    amper(empty_url, *base, "--webhook-secret-file", str(secret_file))
    assert services.list_sectors(uow)[0].webhook_secret == SECTOR_SECRET + "-fichier"
    amper(empty_url, *base, "--webhook-secret-file", "-", input=SECTOR_SECRET + "-stdin\n")
    assert services.list_sectors(uow)[0].webhook_secret == SECTOR_SECRET + "-stdin"

    amper(empty_url, "sector", "set", "Nord", "--email", "nord@amper.fr")
    listing = amper(empty_url, "sector", "list").stdout
    assert SECTOR_SECRET not in listing
    assert "Sud : sud@amper.fr, webhook https://bureau-sud.example/amper, secret défini" in listing
    assert "Nord : nord@amper.fr\n" in listing

    for args, expected in [
        (["--webhook-secret", SECTOR_SECRET], "plus sur la ligne de commande"),
        (["--webhook-secret-env", "AMPER_TEST_ABSENT"], "vide ou non définie"),
        (["--webhook-secret-file", str(tmp_path / "absent")], "illisible"),
    ]:
        bad = amper(empty_url, *base, *args, check=False)
        assert bad.returncode == 1 and expected in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr
    bad = amper(empty_url, "sector", "set", "Sud", "--email", "sud@amper.fr", "--webhook",
                "http://bureau-sud.example/amper", "--webhook-secret-file", str(secret_file),
                check=False)
    assert bad.returncode == 1 and "https:// obligatoire" in bad.stderr
    assert services.list_sectors(uow)[1].webhook_url == "https://bureau-sud.example/amper"
