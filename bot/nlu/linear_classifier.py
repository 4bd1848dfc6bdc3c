"""NLU components: a linear classifier over every label, and its combination with DIET.

Measured on our data (a few thousand short French phrases), DIET and the
ResponseSelector are confidently wrong too often: their confidences sit at 0 or 1,
so no threshold separates right from wrong answers.  A logistic regression over
TF-IDF word and character n-grams plus the mean word vector is better calibrated
and more often right (5-fold cross-validation on the training data, see
docs/measurements.md), so the decision uses both:

- ``LinearIntentClassifier`` (trainable) predicts a probability for every *label*:
  each FAQ topic (``faq/payment_methods``…) and every other intent.  It stores its
  ranking in the message (``linear_ranking``) and decides nothing.
- ``EnsembleCombiner`` (after DIET and the ResponseSelector, before the
  FallbackClassifier) mixes the two label distributions,
  ``p = w · p_linear + (1 − w) · p_diet`` where ``p_diet(faq/t)`` is DIET's ``faq``
  confidence times the ResponseSelector's for ``t``, and rewrites ``intent``,
  ``intent_ranking`` and the ``faq`` response selection from ``p``: the ``faq``
  intent gets the summed probability of the topics, each topic its share of it.
  The FallbackClassifier and our FaqGate then apply their thresholds to that.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.faq_gate import FALLBACK_INTENT
from bot.topics import RETRIEVAL_INTENT

logger = logging.getLogger(__name__)

LINEAR_RANKING = "linear_ranking"
DIET_RANKING = "diet_ranking"
MODEL_FILE = "linear.joblib"


def normalise(text: str) -> str:
    """Lower case, no accents: "Intervenante" and "intervenante" are one feature."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _label(message: Message) -> Optional[str]:
    return message.get("intent_response_key") or message.get("intent")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(GraphComponent):
    """Logistic regression on TF-IDF n-grams and mean word vectors, per label."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # inverse regularisation: 5-fold CV of this classifier alone on our data,
            # C in {5, 20, 50}: 20 and 50 alike (89.6 / 89.8 % intent), 5 lower (89.4 %)
            "C": 20.0,
            "char_ngram": [2, 5],      # character n-grams inside word boundaries
            "word_ngram": [1, 2],
            "vectors": "fr_core_news_md",  # "" to go without word vectors
            # sentence embedding appended to the features ("" for none; the only one
            # known is bot.nlu.sentence_encoder.NAME)
            "sentence_encoder": "",
            "sentence_scale": 1.0,
            "random_seed": 42,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, model: Optional[Dict[str, Any]] = None) -> None:
        encoder = config.get("sentence_encoder") or ""
        if encoder:
            from bot.nlu.sentence_encoder import NAME

            if encoder != NAME:
                raise ValueError(f"unknown sentence_encoder {encoder!r}, known: {NAME!r}")
        self.config = config
        self._storage = model_storage
        self._resource = resource
        self.model = model
        self._vocab = None
        self._stop_words = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    # -- features ------------------------------------------------------------------------
    def _vectors(self, messages: List[Message]) -> np.ndarray:
        name = self.config.get("vectors") or ""
        if not name:
            return np.zeros((len(messages), 0), dtype=np.float32)
        if self._vocab is None:
            from spacy.lang.fr.stop_words import STOP_WORDS

            from bot.nlu.word_vectors import load_vector_table

            self._vocab = load_vector_table(name)
            self._stop_words = {normalise(w) for w in STOP_WORDS}
        out = np.zeros((len(messages), self._vocab.dim), dtype=np.float32)
        for row, message in enumerate(messages):
            found = []
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                text = token.text.lower()
                if not re.search(r"\w", text) or normalise(text) in self._stop_words:
                    continue
                for key in (text, token.get("lemma") or ""):
                    vector = self._vocab.get(key) if key else None
                    if vector is not None:
                        found.append(vector)
                        break
            if found:
                mean = np.mean(found, axis=0)
                norm = float(np.linalg.norm(mean))
                out[row] = mean / norm if norm else mean
        return out

    def _features(self, messages: List[Message]):
        from scipy.sparse import csr_matrix, hstack

        texts = [m.get(TEXT) or "" for m in messages]
        chars, words = self.model["chars"], self.model["words"]
        parts = [chars.transform(texts), words.transform(texts), csr_matrix(self._vectors(messages))]
        if self.config.get("sentence_encoder"):
            from bot.nlu.sentence_encoder import encode

            scale = float(self.config.get("sentence_scale", 1.0))
            parts.append(csr_matrix(encode(texts) * scale))
        return hstack(parts).tocsr()

    # -- training ------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples if m.get(TEXT) and _label(m)]
        labels = [_label(m) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two labels, nothing trained")
            return self._resource
        texts = [m.get(TEXT) for m in examples]
        c_lo, c_hi = self.config["char_ngram"]
        w_lo, w_hi = self.config["word_ngram"]
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(c_lo, c_hi), sublinear_tf=True,
                                preprocessor=normalise)
        words = TfidfVectorizer(analyzer="word", ngram_range=(w_lo, w_hi), sublinear_tf=True,
                                preprocessor=normalise, token_pattern=r"(?u)\b\w+\b")
        chars.fit(texts)
        words.fit(texts)
        self.model = {"chars": chars, "words": words}
        classifier = LogisticRegression(C=float(self.config["C"]), max_iter=5000,
                                        class_weight="balanced",
                                        random_state=self.config["random_seed"])
        classifier.fit(self._features(examples), labels)
        self.model["classifier"] = classifier
        self._persist()
        return self._resource

    def _persist(self) -> None:
        import joblib

        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        import joblib

        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model found")
        if model and config.get("sentence_encoder"):
            from bot.nlu.sentence_encoder import preload

            preload()  # at start-up, not on the first client's message
        return cls(config, model_storage, resource, model)

    # -- inference -----------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        if not self.model or "classifier" not in self.model or not messages:
            return messages
        classifier = self.model["classifier"]
        probabilities = classifier.predict_proba(self._features(messages))
        for message, row in zip(messages, probabilities):
            order = np.argsort(row)[::-1]
            ranking = [{"label": str(classifier.classes_[i]), "confidence": float(row[i])}
                       for i in order]
            message.set(LINEAR_RANKING, ranking, add_to_output=True)
        return messages


def diet_distribution(message_data: Dict[str, Any], retrieval_intent: str) -> Dict[str, float]:
    """DIET + ResponseSelector as one distribution over labels."""
    out: Dict[str, float] = {}
    ranking = [r for r in message_data.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    selector = ((message_data.get("response_selector") or {}).get(retrieval_intent) or {})
    for entry in ranking:
        name, confidence = entry.get("name"), float(entry.get("confidence") or 0.0)
        if name == retrieval_intent:
            for answer in selector.get("ranking") or []:
                key = answer.get("intent_response_key")
                if key:
                    out[key] = out.get(key, 0.0) + confidence * float(answer.get("confidence") or 0.0)
        elif name:
            out[name] = out.get(name, 0.0) + confidence
    return out


def combine(linear: Dict[str, float], diet: Dict[str, float], weight: float) -> Dict[str, float]:
    labels = set(linear) | set(diet)
    return {label: weight * linear.get(label, 0.0) + (1.0 - weight) * diet.get(label, 0.0)
            for label in labels}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class EnsembleCombiner(GraphComponent):
    """Rewrites intent, ranking and FAQ selection from the mixed distribution."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"linear_weight": 0.7, "retrieval_intent": RETRIEVAL_INTENT,
                # entries kept in each ranking of the parse (Rasa's DIET keeps 10 too):
                # the parse is stored in every user event and sent to the action server
                # with the whole tracker on each action call
                "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.weight = float(config["linear_weight"])
        self.retrieval_intent = config["retrieval_intent"]
        self.ranking_length = max(1, int(config["ranking_length"]))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "EnsembleCombiner":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            linear = {r["label"]: r["confidence"] for r in message.get(LINEAR_RANKING) or []}
            if not linear or not message.get("intent"):
                continue
            diet = diet_distribution(message.data, self.retrieval_intent)
            # kept in the parse: what each model said (evaluation, staff answer aid)
            top = self.ranking_length
            message.set(DIET_RANKING, [{"label": k, "confidence": float(p)} for k, p in
                                       sorted(diet.items(), key=lambda kp: kp[1], reverse=True)][:top],
                        add_to_output=True)
            message.set(LINEAR_RANKING, (message.get(LINEAR_RANKING) or [])[:top], add_to_output=True)
            self._apply(message, combine(linear, diet, self.weight))
        return messages

    def _apply(self, message: Message, mixed: Dict[str, float]) -> None:
        ranking, topics = rankings_from(mixed, self.retrieval_intent)
        ranking, topics = ranking[:self.ranking_length], topics[:self.ranking_length]
        message.set("intent", dict(ranking[0]), add_to_output=True)
        message.set("intent_ranking", ranking, add_to_output=True)
        if not topics:
            return
        selector = dict(message.get("response_selector") or {})
        previous = selector.get(self.retrieval_intent) or {}
        best = topics[0]
        response = dict(previous.get("response") or {})
        if response.get("intent_response_key") != best["intent_response_key"]:
            response["responses"] = []  # the texts come from the domain (utter_action)
        response.update({"confidence": best["confidence"],
                         "intent_response_key": best["intent_response_key"],
                         "utter_action": f"utter_{best['intent_response_key']}"})
        response.setdefault("responses", [])
        selector[self.retrieval_intent] = {"response": response, "ranking": topics}
        selector.setdefault("all_retrieval_intents", [self.retrieval_intent])
        message.set("response_selector", selector, add_to_output=True)


def rankings_from(mixed: Dict[str, float], retrieval_intent: str = RETRIEVAL_INTENT):
    """(intent ranking, FAQ answer ranking) from a distribution over labels.

    The retrieval intent gets the summed probability of its topics; each topic's
    answer confidence is its share of that sum (so intent x answer = the topic's
    own probability, which FaqGate thresholds).
    """
    prefix = retrieval_intent + "/"
    topics = sorted(((k, p) for k, p in mixed.items() if k.startswith(prefix)),
                    key=lambda kp: kp[1], reverse=True)
    faq_mass = sum(p for _, p in topics)
    intents = {k: p for k, p in mixed.items() if not k.startswith(prefix)}
    if topics:
        intents[retrieval_intent] = faq_mass
    ranking = [{"name": name, "confidence": float(p)}
               for name, p in sorted(intents.items(), key=lambda kp: kp[1], reverse=True)]
    answers = ([{"confidence": float(p / faq_mass), "intent_response_key": k} for k, p in topics]
               if faq_mass > 0 else [])
    return ranking, answers
