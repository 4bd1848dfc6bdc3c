"""The packaged multilingual sentence encoders load offline and put paraphrases together."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bot.nlu import sentence_encoder
from bot.nlu.sentence_encoder import DIMS, E5, USE, EmbeddingCache, encode

ENCODERS = [E5, USE]


@pytest.mark.parametrize("name", ENCODERS)
def test_rows_have_unit_length_and_empty_texts_give_zeros(name):
    vectors = encode(["je peux payer en CESU ?", "", "   ", "😀", "a" * 2000], name)
    assert vectors.shape == (5, DIMS[name]) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[0] == pytest.approx(1.0, abs=1e-3)
    assert norms[1] == norms[2] == 0.0
    assert norms[3] == pytest.approx(1.0, abs=1e-3) and norms[4] == pytest.approx(1.0, abs=1e-3)
    assert encode([], name).shape == (0, DIMS[name])


@pytest.mark.parametrize("name", ENCODERS)
def test_a_paraphrase_without_shared_words_is_the_nearest_phrase(name):
    # what n-grams cannot see: the same question in other words
    questions = encode(["comment puis-je régler mes factures ?",
                        "mon intervenante est malade, qui la remplace ?"], name)
    candidates = encode(["quels moyens de paiement acceptez-vous",
                         "qui vient si mon aide à domicile est absente",
                         "quel temps fera-t-il demain à Lyon"], name)
    similarity = questions @ candidates.T
    assert list(similarity.argmax(axis=1)) == [0, 1]


@pytest.mark.parametrize("name", ENCODERS)
def test_the_same_text_gives_the_same_vector_alone_or_in_a_batch(name):
    alone = encode(["annulez mon intervention de demain"], name)[0]
    batch = encode(["bonjour", "annulez mon intervention de demain", "merci"], name)[1]
    np.testing.assert_allclose(alone, batch, atol=1e-4)


def test_loading_e5_leaves_the_process_thread_setting_as_it_was():
    before = os.environ.get("OMP_NUM_THREADS")
    sentence_encoder.preload(E5, threads=1)
    assert os.environ.get("OMP_NUM_THREADS") == before


def test_the_cache_gives_back_what_the_encoder_gave(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = ["je voudrais annuler jeudi", "vous prenez les chèques ?"]
    first = encode(texts, E5, cache=cache)
    again = encode(texts + ["bonjour"], E5, cache=EmbeddingCache(tmp_path))  # read from disk
    np.testing.assert_array_equal(first, again[:2])
    assert EmbeddingCache(tmp_path).lookup(E5, ["pas encore vu"]) == [None]


def test_it_loads_with_no_network_access_to_any_hub():
    """The weights are in the packages: a process told to stay offline still encodes."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    code = ("from bot.nlu.sentence_encoder import encode; import numpy as np; "
            "print(*[round(float(np.linalg.norm(encode(['bonjour'], n)[0])), 2) "
            "for n in ('e5_small', 'use_multilingual_v3')])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "1.0 1.0"


def test_the_linear_classifier_refuses_an_unknown_encoder():
    from bot.nlu.linear_classifier import LinearIntentClassifier

    with pytest.raises(ValueError, match="e5_small"):
        LinearIntentClassifier({"sentence_encoders": {"bert": 1.0}}, None, None)
    classifier = LinearIntentClassifier({"sentence_encoders": {E5: 3.0}}, None, None)
    assert classifier.settings.encoders == {E5: 3.0}


def test_loading_the_model_loads_the_encoders_before_any_message(model_path):
    """Their load happens at start-up, not on the first client's message."""
    code = ("from rasa.core.agent import Agent; import bot.nlu.sentence_encoder as se; "
            f"Agent.load({str(model_path)!r}); print(*sorted(se._loaded))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "e5_small use_multilingual_v3"
