"""The compact word-vector table gives exactly spaCy's vectors, for a fraction of the memory."""
from __future__ import annotations

import numpy as np
import pytest
import spacy

from bot.nlu.word_vectors import VectorTable, load_vector_table

WORDS = ["paiement", "règlement", "intervenante", "facture", "ménagère", "CESU", "cesu", "l'",
         "annuler", "décommander", "xyzqq", "", "😀", "aujourd'hui", "Dôme"]


@pytest.fixture(scope="module")
def spacy_vocab():
    nlp = spacy.load("fr_core_news_md", exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                 "ner", "attribute_ruler", "lemmatizer", "tagger"])
    return nlp.vocab


def test_same_vectors_as_spacy(spacy_vocab):
    table = load_vector_table("fr_core_news_md")
    assert table.dim == spacy_vocab.vectors_length == 300
    found = 0
    for word in WORDS:
        ours = table.get(word)
        key = spacy_vocab.strings[word] if word in spacy_vocab.strings else None
        theirs = spacy_vocab.vectors[key] if key is not None and key in spacy_vocab.vectors else None
        assert (ours is None) == (theirs is None), word
        if ours is not None:
            found += 1
            assert np.array_equal(ours, theirs), word
    assert found >= 8  # the common words are there


def test_the_table_is_shared_and_a_package_without_vectors_is_refused():
    assert load_vector_table("fr_core_news_md") is load_vector_table("fr_core_news_md")
    with pytest.raises(ValueError):
        VectorTable.from_package("fr_core_news_sm")
