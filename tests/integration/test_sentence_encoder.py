"""The packaged multilingual sentence encoder loads offline and puts paraphrases together."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bot.nlu.sentence_encoder import DIM, NAME, encode


def test_rows_have_unit_length_and_empty_texts_give_zeros():
    vectors = encode(["je peux payer en CESU ?", "", "   ", "😀", "a" * 2000])
    assert vectors.shape == (5, DIM) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[0] == pytest.approx(1.0, abs=1e-3)
    assert norms[1] == norms[2] == 0.0
    assert norms[3] == pytest.approx(1.0, abs=1e-3) and norms[4] == pytest.approx(1.0, abs=1e-3)
    assert encode([]).shape == (0, DIM)


def test_a_paraphrase_without_shared_words_is_the_nearest_phrase():
    # what n-grams cannot see: the same question in other words
    questions = encode(["comment puis-je régler mes factures ?",
                        "mon intervenante est malade, qui la remplace ?"])
    candidates = encode(["quels moyens de paiement acceptez-vous",
                         "qui vient si mon aide à domicile est absente",
                         "quel temps fera-t-il demain à Lyon"])
    similarity = questions @ candidates.T
    assert list(similarity.argmax(axis=1)) == [0, 1]
    assert similarity[0, 0] > similarity[0, 2] + 0.1 and similarity[1, 1] > similarity[1, 2] + 0.1


def test_the_same_text_gives_the_same_vector_alone_or_in_a_batch():
    alone = encode(["annulez mon intervention de demain"])[0]
    batch = encode(["bonjour", "annulez mon intervention de demain", "merci"])[1]
    np.testing.assert_allclose(alone, batch, atol=1e-5)


def test_it_loads_with_no_network_access_to_any_hub():
    """The weights are in the package: a process told to stay offline still encodes."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    code = ("from bot.nlu.sentence_encoder import encode; "
            "import numpy as np; v = encode(['bonjour']); print(round(float(np.linalg.norm(v[0])), 2))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "1.0"


def test_the_linear_classifier_refuses_an_unknown_encoder():
    from rasa.shared.nlu.training_data.message import Message
    from sklearn.feature_extraction.text import TfidfVectorizer

    from bot.nlu.linear_classifier import LinearIntentClassifier

    config = {**LinearIntentClassifier.get_default_config(), "vectors": "", "sentence_encoder": "bert"}
    model = {"chars": TfidfVectorizer(analyzer="char_wb").fit(["bonjour"]),
             "words": TfidfVectorizer().fit(["bonjour"])}
    with pytest.raises(ValueError, match=NAME):
        LinearIntentClassifier(config, None, None, model=model)
    classifier = LinearIntentClassifier({**config, "sentence_encoder": NAME}, None, None, model=model)
    assert classifier._features([Message(data={"text": "bonjour"})]).shape[1] > DIM


def test_loading_the_model_loads_the_encoder_before_any_message(model_path):
    """The ~1 s load happens at start-up, not on the first client's message."""
    code = ("import sys; from rasa.core.agent import Agent; "
            "import bot.nlu.sentence_encoder as se; "
            f"Agent.load({str(model_path)!r}); "
            "print('loaded' if se._encoder is not None else 'not loaded')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "loaded"
