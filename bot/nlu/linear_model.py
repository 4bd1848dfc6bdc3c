"""The intent model itself, free of Rasa: logistic regression over every label.

Features, side by side in one sparse matrix:
- TF-IDF character n-grams inside word boundaries (typos, missing accents, SMS style);
- TF-IDF words and word pairs;
- sentence embeddings (E5, USE: meaning beyond shared words), each times a scale.

Labels are every intent and every FAQ topic (``faq/payment_methods``…), so one
model answers both "which intent" and "which FAQ answer".  Used by the Rasa
component (``bot.nlu.linear_classifier``) and by the cross-validation
(``bot.nlu.crossval``), so both measure the very same model.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.nlu import sentence_encoder


def normalise(text: str) -> str:
    """Lower case, no accents: "Intervenante" and "intervenante" are one feature."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class LinearSettings:
    C: float = 20.0
    char_ngram: Tuple[int, int] = (2, 5)
    word_ngram: Tuple[int, int] = (1, 2)
    #: n-grams seen in fewer training phrases are dropped (model size; 1 keeps all)
    min_df: int = 1
    #: the solver's stopping tolerance (scikit-learn's default: 1e-4)
    tol: float = 1e-4
    #: encoder name -> scale of its (unit-length) rows among the TF-IDF features
    encoders: Dict[str, float] = field(default_factory=dict)
    random_seed: int = 42

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LinearSettings":
        encoders = dict(config.get("sentence_encoders") or {})
        legacy = config.get("sentence_encoder") or ""
        if legacy and legacy not in encoders:
            encoders[legacy] = float(config.get("sentence_scale", 1.0))
        for name in encoders:
            if not sentence_encoder.known(name):
                raise ValueError(f"unknown sentence encoder {name!r}, known: "
                                 f"{sorted(sentence_encoder.DIMS)}")
        return cls(C=float(config.get("C", cls.C)),
                   char_ngram=tuple(config.get("char_ngram", cls.char_ngram)),
                   word_ngram=tuple(config.get("word_ngram", cls.word_ngram)),
                   min_df=int(config.get("min_df", cls.min_df)),
                   tol=float(config.get("tol", cls.tol)),
                   encoders={k: float(v) for k, v in encoders.items()},
                   random_seed=int(config.get("random_seed", cls.random_seed)))


class LinearModel:
    """fit(texts, labels) / predict_proba(texts); picklable (joblib)."""

    def __init__(self, settings: LinearSettings) -> None:
        self.settings = settings
        self.chars = None
        self.words = None
        self.classifier = None

    @property
    def classes(self) -> List[str]:
        return [str(c) for c in self.classifier.classes_] if self.classifier is not None else []

    def embeddings(self, texts: Sequence[str], threads: int = 1,
                   cache: Optional[sentence_encoder.EmbeddingCache] = None) -> Dict[str, np.ndarray]:
        return {name: sentence_encoder.encode(texts, name, threads=threads, cache=cache)
                for name in self.settings.encoders}

    def features(self, texts: Sequence[str], embedded: Optional[Dict[str, np.ndarray]] = None):
        from scipy.sparse import csr_matrix, hstack

        embedded = embedded if embedded is not None else self.embeddings(texts)
        parts = [v.transform(texts) for v in (self.chars, self.words) if v is not None]
        for name, scale in self.settings.encoders.items():
            parts.append(csr_matrix(embedded[name] * scale))
        return hstack(parts).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            embedded: Optional[Dict[str, np.ndarray]] = None) -> "LinearModel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        s = self.settings
        texts = list(texts)
        # an n-gram range up to 0 leaves that family out (cross-validation variants)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(s.char_ngram),
                                     sublinear_tf=True, preprocessor=normalise,
                                     min_df=s.min_df, dtype=np.float32) if s.char_ngram[1] else None
        self.words = TfidfVectorizer(analyzer="word", ngram_range=tuple(s.word_ngram),
                                     sublinear_tf=True, preprocessor=normalise,
                                     token_pattern=r"(?u)\b\w+\b", min_df=s.min_df,
                                     dtype=np.float32) if s.word_ngram[1] else None
        if self.chars is None and self.words is None and not s.encoders:
            raise ValueError("no features: every n-gram family and encoder is off")
        for vectorizer in (self.chars, self.words):
            if vectorizer is not None:
                vectorizer.fit(texts)
        self.classifier = LogisticRegression(C=s.C, max_iter=5000, tol=s.tol, class_weight="balanced",
                                             random_state=s.random_seed)
        self.classifier.fit(self.features(texts, embedded), list(labels))
        # float32 coefficients: half the archive, the same decisions
        self.classifier.coef_ = self.classifier.coef_.astype(np.float32)
        self.classifier.intercept_ = self.classifier.intercept_.astype(np.float32)
        for vectorizer in (self.chars, self.words):
            if vectorizer is not None:
                vectorizer.stop_words_ = None  # the dropped n-grams: large, never used again
        return self

    def predict_proba(self, texts: Sequence[str],
                      embedded: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
        return self.classifier.predict_proba(self.features(texts, embedded))

    def distributions(self, texts: Sequence[str],
                      embedded: Optional[Dict[str, np.ndarray]] = None) -> List[Dict[str, float]]:
        classes = self.classes
        return [{c: float(p) for c, p in zip(classes, row)}
                for row in self.predict_proba(texts, embedded)]
