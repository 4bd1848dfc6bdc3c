"""Dense featurizer: French word vectors for the tokens of ``SpacyTokenizer``.

``fr_core_news_sm`` (our tokenizer and lemmatizer) has no word vectors, so
Rasa's SpacyFeaturizer adds nothing.  This featurizer reads the 300-dimension
vectors shipped with ``fr_core_news_md`` (only its vector table is loaded, none
of its pipeline) and gives DIET and the ResponseSelector a notion of meaning
that counts cannot: "règlement" is near "paiement", "décommander" near "annuler".

Lookup per token: the lower-cased text, then its lemma, else a zero vector.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import MEAN_POOLING, POOLING

logger = logging.getLogger(__name__)


class VectorTable:
    """A spaCy package's word vectors, without the rest of its vocabulary.

    ``spacy.load`` of fr_core_news_md keeps its 500,000 strings and lexeme tables:
    ~220 MB of the Rasa server's memory.  Only the vector rows (20,000 x 300) and a
    sorted array of the 500,000 64-bit string hashes are needed to look a word up:
    ~30 MB, same vectors.
    """

    def __init__(self, data: np.ndarray, keys: np.ndarray, rows: np.ndarray) -> None:
        from spacy.strings import hash_string

        self._hash = hash_string  # the 64-bit hash spaCy keys its vectors with
        order = np.argsort(keys)
        self.data = data
        self.keys = keys[order]
        self.rows = rows[order]
        self.dim = int(data.shape[1])

    @classmethod
    def from_package(cls, name: str) -> "VectorTable":
        import importlib

        import srsly

        package = Path(importlib.import_module(name).__file__).parent
        found = sorted(package.glob("*/vocab/vectors")) or sorted(package.glob("vocab/vectors"))
        if not found:
            raise ValueError(f"The spaCy package {name} has no word vectors.")
        vocab = found[-1].parent
        data = np.load(vocab / "vectors", allow_pickle=False)
        if data.ndim != 2 or data.size == 0:
            raise ValueError(f"The spaCy package {name} has no word vectors.")
        key2row = srsly.read_msgpack(vocab / "key2row")
        keys = np.fromiter(key2row.keys(), dtype=np.uint64, count=len(key2row))
        rows = np.fromiter(key2row.values(), dtype=np.int32, count=len(key2row))
        return cls(data, keys, rows)

    def get(self, word: str) -> Optional[np.ndarray]:
        """The vector of ``word`` (exact string), or None."""
        key = np.uint64(self._hash(word))
        at = int(np.searchsorted(self.keys, key))
        if at < len(self.keys) and self.keys[at] == key:
            return self.data[self.rows[at]]
        return None


@functools.lru_cache(maxsize=2)
def load_vector_table(name: str) -> VectorTable:
    """One table per package and process (the featurizer and the classifier share it)."""
    return VectorTable.from_package(name)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class WordVectorFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds word-vector sequence features and their mean as sentence features."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), POOLING: MEAN_POOLING,
                "model": "fr_core_news_md"}

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.table = load_vector_table(self._config["model"])
        self.dim = self.table.dim

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "WordVectorFeaturizer":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def _vector(self, token) -> np.ndarray:
        for key in (token.text.lower(), token.get("lemma") or ""):
            if key:
                found = self.table.get(key)
                if found is not None:
                    return found
        return np.zeros(self.dim, dtype=np.float32)

    def _featurize(self, message: Message, attribute: Text) -> None:
        tokens = message.get(TOKENS_NAMES[attribute])
        if not tokens:
            return
        sequence = np.array([self._vector(t) for t in tokens], dtype=np.float32)
        sentence = self.aggregate_sequence_features(sequence, self._config[POOLING])
        alias = self._config[FEATURIZER_CLASS_ALIAS]
        message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, attribute, alias))
        message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, attribute, alias))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                self._featurize(message, attribute)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
