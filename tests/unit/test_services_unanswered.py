"""The questions the assistant could not answer, on the in-memory store (issue 21): kept
masked with the day only, grouped by similarity, labelled by staff, exported as Rasa NLU
YAML, deleted by the purge after AMPER_RETENTION_UNANSWERED_DAYS.  The same store cases on
SQLite and PostgreSQL: tests/integration/test_staff_store.py."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import yaml

from bot import settings
from bot.domain.errors import InvalidInput
from bot.domain.similarity import group_similar, jaccard, key_words
from bot.domain.staff import UnansweredKind
from bot.service_layer import services
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, row

TODAY = NOW.date()
TOPICS = ["faq/payment_methods", "faq/invoices", "faq/cancellation_notice", "nouveau"]


@pytest.fixture
def uow():
    uow = FakeUnitOfWork()
    services.import_rows(uow, [row("I-1", NOW + timedelta(days=3), name="Mme Hélène Dupont",
                                   caregiver="Karim Haddad")])
    return uow


def record(uow, text, kind="fallback", days=0):
    return services.record_unanswered(uow, text=text, kind=kind,
                                      now=NOW + timedelta(days=days, hours=5))


def stored(uow):
    with uow:
        return [(q.text, q.kind.value, q.asked_on) for q in uow.unanswered.list()]


def test_a_question_is_kept_masked_with_its_day_and_kind(uow):
    assert record(uow, "Hélène Dupont ici (n° 1001) : Karim vient à quelle heure ? "
                       "Rappelez-moi au 06 12 34 56 78 ou helene@exemple.fr", "thumbs_down") == 1
    assert stored(uow) == [("[nom] ici (n° [nombre]) : [nom] vient à quelle heure ? "
                            "Rappelez-moi au [nombre] ou [e-mail]", "thumbs_down", TODAY)]
    with uow:
        question = uow.unanswered.list()[0]
    assert type(question.asked_on) is date and question.topic is None


@pytest.mark.parametrize("text", ["", "   ", None, "/faq{\"topic\": \"x\"}", " /greet",
                                  "/inform{\"client\": \"1001\"}"])
def test_nothing_to_keep(uow, text):
    assert record(uow, text) is None
    assert stored(uow) == []


def test_long_texts_are_cut_and_spaces_collapsed(uow):
    record(uow, "mot   " * 200 + "\n fin", "out_of_scope")
    text = stored(uow)[0][0]
    assert len(text) <= 500 and "  " not in text and text.startswith("mot mot")


def test_an_unknown_kind_is_refused_in_french(uow):
    with pytest.raises(InvalidInput, match="Type de question sans réponse inconnu"):
        record(uow, "bonjour", "sms")


def test_names_come_from_the_planning_as_it_is_now(uow):
    services.import_rows(uow, [row("I-2", NOW + timedelta(days=4), client="1002",
                                   name="M. Roger Bertrand", caregiver="Marie Curie")])
    record(uow, "roger bertrand et marie curie")
    assert stored(uow)[0][0] == "[nom] et [nom]"


# --- groups --------------------------------------------------------------------------------------

QUESTIONS = [  # days after NOW, kind, text
    (0, "fallback", "Acceptez-vous les chèques vacances ?"),
    (1, "thumbs_down", "acceptez vous les cheques vacances"),
    (2, "out_of_scope", "Vous acceptez les chèques vacances ANCV ?"),
    (2, "fallback", "Quel temps fera-t-il demain ?"),
    (3, "fallback", "Puis-je avoir la même aide-ménagère le samedi ?"),
    (5, "fallback", "Est-ce que je peux avoir la même aide le samedi ?"),
]


def test_similar_questions_are_grouped_with_counts_and_dates(uow):
    ids = [record(uow, text, kind, days) for days, kind, text in QUESTIONS]
    groups = services.unanswered_groups(uow)
    assert [(g.count, g.first, g.last, g.kind_counts) for g in groups] == [
        (2, TODAY + timedelta(days=3), TODAY + timedelta(days=5),
         {"fallback": 2, "out_of_scope": 0, "thumbs_down": 0}),
        (3, TODAY, TODAY + timedelta(days=2),
         {"fallback": 1, "out_of_scope": 1, "thumbs_down": 1}),
        (1, TODAY + timedelta(days=2), TODAY + timedelta(days=2),
         {"fallback": 1, "out_of_scope": 0, "thumbs_down": 0}),
    ]  # the newest activity first
    assert [q.id for q in groups[1].questions] == [ids[2], ids[1], ids[0]]  # newest first
    assert groups[1].example == "acceptez vous les cheques vacances"  # the most usual words
    assert groups[1].id == ids[1]
    assert services.unanswered_groups(uow, limit=1) == groups[:1]
    since = services.unanswered_groups(uow, since=TODAY + timedelta(days=2))
    assert [g.count for g in since] == [2, 1, 1]


def test_the_similarity_is_word_sets_without_stop_words():
    assert key_words("Acceptez-vous les chèques vacances ?") == {"acceptez", "cheques",
                                                               "vacances"}
    assert key_words("[nom] a [nombre] ans") == {"ans"}
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 1.0
    items = [(1, "chèques vacances"), (2, "cheques vacances ancv"), (3, "météo demain"),
             (4, "chèques vacances"), (5, "bonjour"), (6, "merci")]
    # « bonjour », « merci »: both empty keys, as frequent as « chèques vacances » but newer
    assert group_similar(items) == [[5, 6], [1, 2, 4], [3]]
    assert group_similar(items, {i: -i for i, _t in items}) == [[1, 2, 4], [5, 6], [3]]


# --- labels and export ----------------------------------------------------------------------------

def test_label_then_export_as_rasa_nlu(uow):
    ids = [record(uow, text, kind, days) for days, kind, text in QUESTIONS]
    assert services.label_unanswered(uow, ids[:3] + [999], "faq/payment_methods",
                                     by="bureau.nord", topics=TOPICS) == 3
    assert services.label_unanswered(uow, [ids[3]], "nouveau", by="bureau.sud",
                                      topics=TOPICS) == 1
    assert services.label_unanswered(uow, [str(ids[4])], "faq/invoices", by="bureau.nord",
                                      topics=TOPICS) == 1
    with uow:
        labelled = [(q.id, q.topic, q.labelled_by) for q in uow.unanswered.labelled()]
    assert labelled[3] == (ids[3], "nouveau", "bureau.sud") and len(labelled) == 5
    exported = services.export_labelled_nlu(uow)
    assert exported == (
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: faq/invoices\n"
        "  examples: |\n"
        "    - Puis-je avoir la même aide-ménagère le samedi ?\n"
        "- intent: faq/payment_methods\n"
        "  examples: |\n"
        "    - Acceptez-vous les chèques vacances ?\n"
        "    - Vous acceptez les chèques vacances ANCV ?\n"
        "    - acceptez vous les cheques vacances\n"
        "- intent: nouveau_sujet\n"
        "  examples: |\n"
        "    - Quel temps fera-t-il demain ?\n")
    data = yaml.safe_load(exported)
    assert [i["intent"] for i in data["nlu"]] == ["faq/invoices", "faq/payment_methods",
                                                  "nouveau_sujet"]
    assert services.export_labelled_nlu(uow) == exported  # deterministic


def test_an_empty_export_is_still_valid(uow):
    assert yaml.safe_load(services.export_labelled_nlu(uow)) == {"version": "3.1", "nlu": []}


def test_masks_do_not_become_rasa_annotations(uow):
    question = record(uow, "client 1001(hier) et 1002[x]{y}")
    services.label_unanswered(uow, [question], "nouveau", by="bureau.nord", topics=TOPICS)
    assert "    - client [nombre] (hier) et [nombre] [x] {y}\n" in services.export_labelled_nlu(uow)


@pytest.mark.parametrize("topic", ["faq/unknown", "payment_methods", "faq/", "FAQ/invoices",
                                   "nouveau sujet", ""])
def test_unknown_topics_are_refused_in_french(uow, topic):
    question = record(uow, "bonjour")
    with pytest.raises(InvalidInput, match="Sujet inconnu"):
        services.label_unanswered(uow, [question], topic, by="bureau.nord", topics=TOPICS)


@pytest.mark.parametrize("ids, by, words", [
    ([], "bureau.nord", "Aucune question choisie."),
    (["abc"], "bureau.nord", "Identifiants de questions invalides"),
    ([1], "", "Auteur de la demande manquant"),
])
def test_label_refusals(uow, ids, by, words):
    record(uow, "bonjour")
    with pytest.raises(InvalidInput, match=words):
        services.label_unanswered(uow, ids, "nouveau", by=by, topics=TOPICS)


# --- retention ----------------------------------------------------------------------------------

def test_the_purge_deletes_questions_older_than_the_retention(uow):
    for days in (-91, -90, -1, 0):
        record(uow, f"question {days}", days=days)
    retention = settings.RetentionSettings(conversations_days=30, requests_days=400,
                                           outbox_days=7, feedback_days=400,
                                           unanswered_days=90)
    dry = services.purge_store(uow, now=NOW, retention=retention, dry_run=True)
    assert dry.unanswered_deleted == 1 and len(stored(uow)) == 4
    report = services.purge_store(uow, now=NOW, retention=retention)
    assert report.unanswered_deleted == 1
    assert [day for _t, _k, day in stored(uow)] == [TODAY - timedelta(days=90),
                                                  TODAY - timedelta(days=1), TODAY]
    assert "  - questions sans réponse effacées : 1 (fait)" in report.lines_fr()


def test_the_retention_setting():
    assert settings.retention({}).unanswered_days == 90
    assert settings.retention({"AMPER_RETENTION_UNANSWERED_DAYS": "30"}).unanswered_days == 30
    assert UnansweredKind("thumbs_down") is UnansweredKind.THUMBS_DOWN


def test_rasa_reads_the_export_as_training_data_without_entities(uow):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    ids = [record(uow, text, kind, days) for days, kind, text in QUESTIONS]
    ids.append(record(uow, "client 1001(hier) et Hélène Dupont[x]{y}"))
    services.label_unanswered(uow, ids[:3], "faq/payment_methods", by="b", topics=TOPICS)
    services.label_unanswered(uow, ids[3:], "nouveau", by="b", topics=TOPICS)
    data = RasaYAMLReader().reads(services.export_labelled_nlu(uow))
    found = sorted((m.get("intent"), m.get("intent_response_key"), m.get("text"),
                    m.get("entities")) for m in data.training_examples)
    assert len(found) == 7 and {f[3] for f in found} == {None}
    assert found[0][:2] == ("faq", "faq/payment_methods")
    assert ("nouveau_sujet", None, "client [nombre] (hier) et [nom] [x] {y}", None) in found


def test_the_word_index_groups_like_comparing_every_seed():
    import random
    from collections import Counter

    rng = random.Random(7)
    vocab = ["annuler", "facture", "cheque", "samedi", "aide", "heure", "prix", "ancv"]
    items = [(i, " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 4))))
             for i in range(300)]
    keys = {i: key_words(t) for i, t in items}
    counts = Counter(keys.values())
    newest = {}
    for i, key in keys.items():
        newest[key] = max(newest.get(key, i), i)
    seeds, group_of = [], {}
    for key in sorted(counts, key=lambda k: (-counts[k], -newest[k], sorted(k))):
        found = next((g for g, s in enumerate(seeds) if jaccard(s, key) >= 0.5), None)
        if found is None:
            found = len(seeds)
            seeds.append(key)
        group_of[key] = found
    brute = [[i for i, _t in items if group_of[keys[i]] == g] for g in range(len(seeds))]
    assert group_similar(items) == brute
