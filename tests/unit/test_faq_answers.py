"""The FAQ answers in domain.yml keep every fact of the client's FAQ page."""
from __future__ import annotations

import re
import unicodedata

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from bot.faq.topics import FAQ_TOPICS

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
# The client's page, vendored so a clone works on its own; kept in sync below.
FAQ_PAGE = PROJECT_ROOT / "docs" / "amper-faq.txt"
SHARED_FAQ_PAGE = PROJECT_ROOT.parent / "shared" / "faq" / "amper-faq.txt"


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.replace("’", "'"))


def answer(topic: str) -> str:
    return _norm(" ".join(r["text"] for r in DOMAIN["responses"][f"utter_faq/{topic}"]))


# Facts from docs/amper-faq.txt, one list per entry (normalised words).
FACTS = {
    "getting_started": ["visite", "gratuite", "besoins", "intervenant qualifie", "contrat signe",
                        "10 jours", "sauf urgence"],
    "same_caregiver": ["intervenant unique", "plusieurs passages", "7 jours sur 7", "equipe reguliere",
                       "formation", "conges", "maladie", "remplacement", "formee a vos attentes"],
    "caregiver_absent": ["remplac", "intervenant qualifie", "besoins", "habitudes"],
    "client_absent": ["48 heures", "factur", "hospitalisation d'urgence", "maladie", "justificatif medical"],
    "direct_hiring": ["non", "contrat", "interdit", "recruter directement"],
    "change_schedule": ["10 jours", "planning", "binome de secteur", "assurance"],
    "minimum_duration": ["45 minutes", "deplacements", "qualite du service", "cadre de travail"],
    "one_off_services": ["ponctuel", "menage approfondi", "demande particuliere"],
    "payment_methods": ["prelevement automatique", "cheque bancaire", "cesu", "prefinances"],
    "invoices": ["chaque mois", "dome", "reservee aux clients", "e-mail"],
}


def test_every_topic_has_one_answer_and_facts():
    assert set(FACTS) == set(FAQ_TOPICS)
    for topic in FAQ_TOPICS:
        assert f"utter_faq/{topic}" in DOMAIN["responses"], topic


@pytest.mark.parametrize("topic", sorted(FACTS))
def test_answer_keeps_the_facts(topic):
    text = answer(topic)
    missing = [fact for fact in FACTS[topic] if fact not in text]
    assert not missing, f"{topic}: missing {missing}"


def test_numbers_in_answers_all_come_from_the_faq_page():
    page_numbers = set(re.findall(r"\d+", FAQ_PAGE.read_text(encoding="utf-8")))
    for topic in FAQ_TOPICS:
        for number in re.findall(r"\d+", answer(topic)):
            assert number in page_numbers, f"{topic}: {number} is not on the FAQ page"


def test_greeting_discloses_automated_assistant():
    greet = _norm(DOMAIN["responses"]["utter_greet"][0]["text"])
    assert "assistant automatique" in greet and "pas une personne" in greet


def test_answers_use_vouvoiement():
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            words = set(re.findall(r"\b\w+\b", _norm(variant["text"])))
            assert not words & {"tu", "ton", "ta", "tes", "toi"}, name


@pytest.mark.skipif(not SHARED_FAQ_PAGE.exists(), reason="no ../shared/faq beside this clone")
def test_vendored_faq_page_is_the_client_page():
    assert FAQ_PAGE.read_bytes() == SHARED_FAQ_PAGE.read_bytes()
