"""Static checks of the NLU training data and of the held-out NLU test set.

Pure YAML (no Rasa import, no model): fast enough for every test run.

- every file parses, with the Rasa 3.x NLU shape (version "3.1", `nlu` list of
  `intent` / `examples` blocks, each example line starting with "- ");
- the training data is organised by topic: data/nlu/faq/<topic>.yml holds all the
  examples of faq/<topic>, and one file per group of other intents (basics.yml,
  requests.yml, out_of_scope.yml, forms.yml); every intent lives in one file only;
- the expected intents, and enough examples per intent, in training and held-out;
- no duplicates inside the training data (every file under data/nlu), and no held-out
  example equal to a training example once normalised (lower-case, accents stripped,
  punctuation and whitespace collapsed);
- every held-out intent exists in training.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout.yml"
#: a second held-out set, written blind (its author saw neither the training data nor
#: heldout.yml): FAQ topics and out-of-scope only
FRESH_HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout_fresh.yml"
#: a third, in the short website-heading style of real clients, written blind from the FAQ
#: page alone (issue 17): FAQ topics and out-of-scope only
WEB_HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout_web.yml"
HELDOUT_FILES = [HELDOUT_FILE, FRESH_HELDOUT_FILE, WEB_HELDOUT_FILE]

FAQ_TOPICS = [
    "getting_started",
    "same_caregiver",
    "caregiver_absent",
    "client_absent",
    "direct_hiring",
    "change_schedule",
    "minimum_duration",
    "one_off_services",
    "payment_methods",
    "invoices",
]
FAQ_INTENTS = [f"faq/{topic}" for topic in FAQ_TOPICS]
REQUEST_INTENTS = ["request_cancellation", "request_schedule_change"]
BASIC_INTENTS = [
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "bot_challenge",
    "human_handoff",
    "stop",
]
OOS_INTENTS = ["out_of_scope"]

#: Every training file (path under data/nlu) and its intents: one file per FAQ topic, one
#: per group of other intents.  An intent lives in one file only, so the order of its
#: examples, which decides the cross-validation folds (bot.nlu.evaluation.folds), is the
#: order in that file, whatever the order in which Rasa lists the files.
EXPECTED_INTENTS_PER_FILE = {
    **{f"faq/{topic}.yml": [f"faq/{topic}"] for topic in FAQ_TOPICS},
    "requests.yml": [*REQUEST_INTENTS, "ask_request_status"],
    "basics.yml": BASIC_INTENTS,
    "out_of_scope.yml": OOS_INTENTS,
    "forms.yml": ["inform"],
}
TRAIN_FILES = {name: NLU_DIR / name for name in EXPECTED_INTENTS_PER_FILE}

# intent -> (minimum training examples, minimum held-out examples)
MINIMUMS = {
    **{i: (45, 12) for i in FAQ_INTENTS},
    **{i: (40, 10) for i in REQUEST_INTENTS},
    **{i: (20, 5) for i in BASIC_INTENTS},
    "out_of_scope": (90, 30),
}
ALL_INTENTS = list(MINIMUMS)

# `[text](entity)` or `[text]{"entity": ...}`: entities must not be annotated.
ENTITY_ANNOTATION = re.compile(r"\[[^\]]*\]\s*[({]")


def normalise(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into spaces, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    no_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    no_punct = re.sub(r"[\W_]+", " ", no_accents)
    return " ".join(no_punct.split())


def dedup_key(text: str) -> str:
    """Comparison key: the normalised text, or the raw text for pure punctuation
    examples such as "???" (which normalise to an empty string)."""
    return normalise(text) or text.strip()


def _parse_examples(block: str, where: str) -> list[str]:
    examples = []
    for line in block.splitlines():
        if not line.strip():
            continue
        assert line.startswith("- "), f"{where}: example line must start with '- ': {line!r}"
        text = line[2:].strip()
        assert text, f"{where}: empty example"
        examples.append(text)
    return examples


@lru_cache(maxsize=None)
def load_nlu_file(path: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(intent, examples) blocks of a Rasa NLU YAML file, shape-checked."""
    assert path.is_file(), f"missing {path}"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: top level must be a mapping"
    assert set(data) == {"version", "nlu"}, f"{path}: unexpected keys {sorted(data)}"
    assert data["version"] == "3.1", f"{path}: version must be the string '3.1'"
    assert isinstance(data["nlu"], list) and data["nlu"], f"{path}: `nlu` must be a non-empty list"
    blocks = []
    for item in data["nlu"]:
        assert isinstance(item, dict), f"{path}: every nlu item must be a mapping"
        assert set(item) == {"intent", "examples"}, f"{path}: unexpected keys {sorted(item)}"
        intent = item["intent"]
        assert isinstance(intent, str) and intent, f"{path}: bad intent name {intent!r}"
        assert isinstance(item["examples"], str), f"{path}/{intent}: examples must be a `|` block"
        blocks.append((intent, tuple(_parse_examples(item["examples"], f"{path.name}/{intent}"))))
    intents = [intent for intent, _ in blocks]
    duplicated = [i for i, n in Counter(intents).items() if n > 1]
    assert not duplicated, f"{path}: intents declared twice: {duplicated}"
    return tuple(blocks)


def training_examples() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in TRAIN_FILES.values():
        for intent, examples in load_nlu_file(path):
            assert intent not in merged, f"intent {intent} declared in two training files"
            merged[intent] = list(examples)
    return merged


def all_training_examples() -> list[tuple[str, str, str]]:
    """(file, intent, text) for every example of every training file: duplicates and
    held-out leaks are checked against the whole training data."""
    return [(name, intent, text)
            for name, path in TRAIN_FILES.items()
            for intent, examples in load_nlu_file(path)
            for text in examples]


def heldout_examples(path: Path = HELDOUT_FILE) -> dict[str, list[str]]:
    return {intent: list(examples) for intent, examples in load_nlu_file(path)}


# ---------------------------------------------------------------- shape


def test_training_files_are_the_expected_ones():
    """No stray file under data/nlu (Rasa would train on it: every file not hidden) and
    none missing."""
    found = sorted(p.relative_to(NLU_DIR).as_posix() for p in NLU_DIR.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(NLU_DIR).parts))
    assert found == sorted(TRAIN_FILES)


@pytest.mark.parametrize("name", sorted(TRAIN_FILES))
def test_training_file_has_expected_intents(name):
    intents = [intent for intent, _ in load_nlu_file(TRAIN_FILES[name])]
    assert sorted(intents) == sorted(EXPECTED_INTENTS_PER_FILE[name])


def test_every_intent_lives_in_one_file():
    assert sorted(training_examples()) == sorted(i for v in EXPECTED_INTENTS_PER_FILE.values() for i in v)


def test_faq_topics_are_the_assistants():
    from bot.faq.topics import FAQ_TOPICS as TOPICS

    assert FAQ_TOPICS == list(TOPICS)


def test_heldout_covers_every_training_intent():
    assert sorted(heldout_examples()) == sorted(ALL_INTENTS)


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.name)
def test_heldout_intents_exist_in_training(path):
    trained = {intent for _, intent, _ in all_training_examples()}
    unknown = set(heldout_examples(path)) - trained
    assert not unknown, f"held-out intents absent from training: {sorted(unknown)}"


def test_faq_is_a_retrieval_intent_with_full_names():
    for intent in training_examples():
        if intent.startswith("faq"):
            assert intent in FAQ_INTENTS, f"unexpected faq sub-intent {intent}"


@pytest.mark.parametrize("path", [*TRAIN_FILES.values(), *HELDOUT_FILES], ids=lambda p: p.name)
def test_no_entity_annotations(path):
    for intent, examples in load_nlu_file(path):
        for text in examples:
            assert not ENTITY_ANNOTATION.search(text), f"{path.name}/{intent}: annotated entity in {text!r}"


# ---------------------------------------------------------------- volumes


@pytest.mark.parametrize("intent", ALL_INTENTS)
def test_minimum_number_of_examples(intent):
    min_train, min_heldout = MINIMUMS[intent]
    n_train = len(training_examples().get(intent, []))
    n_heldout = len(heldout_examples().get(intent, []))
    assert n_train >= min_train, f"{intent}: {n_train} training examples < {min_train}"
    assert n_heldout >= min_heldout, f"{intent}: {n_heldout} held-out examples < {min_heldout}"


# ---------------------------------------------------------------- duplicates


def _duplicates(labelled: list[tuple[str, str]]) -> list[str]:
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for intent, text in labelled:
        key = dedup_key(text)
        if key in seen:
            clashes.append(f"{seen[key]} ~ {(intent, text)}")
        else:
            seen[key] = (intent, text)
    return clashes


def test_no_duplicates_in_training():
    labelled = [(f"{f}:{i}", t) for f, i, t in all_training_examples()]
    clashes = _duplicates(labelled)
    assert not clashes, "duplicated training examples:\n" + "\n".join(clashes)


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.name)
def test_no_duplicates_in_heldout(path):
    labelled = [(i, t) for i, examples in heldout_examples(path).items() for t in examples]
    clashes = _duplicates(labelled)
    assert not clashes, "duplicated held-out examples:\n" + "\n".join(clashes)


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.name)
def test_heldout_does_not_leak_training_examples(path):
    train = {dedup_key(t): f"{f}:{i}" for f, i, t in all_training_examples()}
    leaks = [
        f"{intent}: {text!r} (training: {train[dedup_key(text)]})"
        for intent, examples in heldout_examples(path).items()
        for text in examples
        if dedup_key(text) in train
    ]
    assert not leaks, "held-out examples present in training:\n" + "\n".join(leaks)


#: Held-out phrases of at least this many words may not have a near-copy in training.
NEAR_COPY_MIN_WORDS = 4
#: difflib ratio on the normalised texts at or above which two phrases are near-copies
#: (measured: the closest honest pairs of the data sit at 0.88, e.g. a "vous" phrase and
#: its "tu" twin; a copy with one word swapped scores above 0.9).
NEAR_COPY_RATIO = 0.9


@pytest.mark.parametrize("path", HELDOUT_FILES, ids=lambda p: p.name)
def test_heldout_has_no_near_copy_in_training(path):
    """A held-out phrase reworded by one word is still a leak: catch it too."""
    import difflib

    train = [(normalise(t), f"{f}:{i}", t) for f, i, t in all_training_examples() if normalise(t)]
    leaks = []
    for intent, examples in heldout_examples(path).items():
        for text in examples:
            key = normalise(text)
            if len(key.split()) < NEAR_COPY_MIN_WORDS:
                continue
            matcher = difflib.SequenceMatcher(None, "", key)  # b (cached) = the held-out phrase
            for other, where, raw in train:
                matcher.set_seq1(other)
                if (matcher.real_quick_ratio() >= NEAR_COPY_RATIO
                        and matcher.quick_ratio() >= NEAR_COPY_RATIO
                        and matcher.ratio() >= NEAR_COPY_RATIO):
                    leaks.append(f"{intent}: {text!r} ~ {where}: {raw!r}")
    assert not leaks, "held-out phrases with a near-copy in training:\n" + "\n".join(leaks)


def test_normalise():
    assert normalise("  Où   TROUVER ma facture ?!") == "ou trouver ma facture"
    assert normalise("l'aide-ménagère") == "l aide menagere"
    assert normalise("???") == ""
