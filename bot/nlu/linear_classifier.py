"""NLU component: the intent and FAQ-answer classifier of the pipeline.

One logistic regression (``bot.nlu.linear_model``) over every *label* — each FAQ
topic (``faq/payment_methods``…) and every other intent — on TF-IDF word and
character n-grams and two multilingual sentence embeddings (E5 and USE).

It replaced DIET + ResponseSelector (2026-12): by 5-fold cross-validation of the
whole decision, with the rule fixed beforehand (most FAQ answers right with ≤ 1 %
wrong and ≥ 95 % of out-of-scope messages rejected), it alone answers more FAQ
questions right than the former DIET + linear ensemble, trains in one to three minutes
instead of half an hour, and is better calibrated (docs/measurements.md).

It writes what Rasa's later steps read, as DIET and the ResponseSelector did:
- ``intent`` and ``intent_ranking``: the ``faq`` intent gets the summed probability
  of its topics;
- ``response_selector["faq"]``: each topic's share of that sum, the best one as the
  response ``utter_faq`` utters (the texts come from the domain);
- ``label_ranking``: the label distribution itself (staff answer aid, evaluation).
The FallbackClassifier and our FaqGate then apply their thresholds.  A message cut into
clauses (bot.nlu.two_topics) also gets each clause's distribution, privately, so that
FaqGate can see a question mixing two FAQ topics.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import sentence_encoder, two_topics
from bot.nlu.linear_model import LinearModel, LinearSettings
from bot.faq.topics import RETRIEVAL_INTENT

logger = logging.getLogger(__name__)

LABEL_RANKING = "label_ranking"
#: not in the parse output: the whole distribution and each clause's, for FaqGate's
#: two-topic check (bot.nlu.two_topics)
DISTRIBUTION = "amper_label_distribution"
CLAUSE_DISTRIBUTIONS = "amper_clause_distributions"
MODEL_FILE = "linear.joblib"


def label_of(message: Message) -> Optional[str]:
    return message.get("intent_response_key") or message.get("intent")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(GraphComponent):
    """Predicts intent, intent ranking and FAQ answer from one label distribution."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 20.0,
            "char_ngram": [2, 5],
            "word_ngram": [1, 2],
            "min_df": 1,
            # encoder name -> scale among the TF-IDF features (bot.nlu.sentence_encoder)
            "sentence_encoders": {},
            "retrieval_intent": RETRIEVAL_INTENT,
            # entries kept in each ranking of the parse (Rasa's DIET keeps 10 too): the
            # parse is stored in every user event and sent with the tracker to actions
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, model: Optional[LinearModel] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self.settings = LinearSettings.from_config(self.config)
        self.retrieval_intent = self.config["retrieval_intent"]
        self.ranking_length = max(1, int(self.config["ranking_length"]))
        self._storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    # -- training ------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and label_of(m)]
        labels = [label_of(m) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two labels, nothing trained")
            return self._resource
        texts = [m.get(TEXT) for m in examples]
        model = LinearModel(self.settings)
        # training runs in a process of its own: every core for the embeddings
        embedded = model.embeddings(texts, threads=os.cpu_count() or 1,
                                    cache=sentence_encoder.default_cache())
        self.model = model.fit(texts, labels, embedded)
        self._persist()
        return self._resource

    def _persist(self) -> None:
        import joblib

        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE, compress=3)

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
        component = cls(config, model_storage, resource, model)
        for name in component.settings.encoders:
            sentence_encoder.preload(name, threads=1)  # at start-up, not on the first message
        return component

    # -- inference -----------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None or not messages:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        distributions = self.model.distributions(texts)
        # clauses are classified only for an FAQ question (a request with a comma, « je suis
        # malade, annulez demain », costs no extra encoding)
        cut = [two_topics.clauses(t) if two_topics.may_mix(d, self.retrieval_intent) else []
               for t, d in zip(texts, distributions)]
        flat = [c for parts in cut for c in parts]
        per_clause = iter(self.model.distributions(flat) if flat else [])
        for message, distribution, parts in zip(messages, distributions, cut):
            self.apply(message, distribution)
            message.set(DISTRIBUTION, distribution)
            message.set(CLAUSE_DISTRIBUTIONS, [next(per_clause) for _ in parts])
        return messages

    def apply(self, message: Message, distribution: Dict[str, float]) -> None:
        top = self.ranking_length
        labels = sorted(distribution.items(), key=lambda kp: kp[1], reverse=True)[:top]
        message.set(LABEL_RANKING, [{"label": k, "confidence": p} for k, p in labels],
                    add_to_output=True)
        ranking, topics = rankings_from(distribution, self.retrieval_intent)
        ranking, topics = ranking[:top], topics[:top]
        message.set("intent", dict(ranking[0]), add_to_output=True)
        message.set("intent_ranking", ranking, add_to_output=True)
        if topics:
            message.set("response_selector", selector_output(topics, self.retrieval_intent),
                        add_to_output=True)


def selector_output(topics: List[Dict[str, Any]], retrieval_intent: str) -> Dict[str, Any]:
    """The ``response_selector`` entry of a parse, as Rasa's ResponseSelector writes it."""
    best = topics[0]
    return {
        "all_retrieval_intents": [retrieval_intent],
        retrieval_intent: {
            "response": {
                "responses": [],  # the texts come from the domain (utter_action)
                "confidence": best["confidence"],
                "intent_response_key": best["intent_response_key"],
                "utter_action": f"utter_{best['intent_response_key']}",
            },
            "ranking": topics,
        },
    }


def rankings_from(distribution: Dict[str, float], retrieval_intent: str = RETRIEVAL_INTENT):
    """(intent ranking, FAQ answer ranking) from a distribution over labels.

    The retrieval intent gets the summed probability of its topics; each topic's
    answer confidence is its share of that sum (so intent x answer = the topic's
    own probability, which FaqGate thresholds).
    """
    prefix = retrieval_intent + "/"
    topics = sorted(((k, p) for k, p in distribution.items() if k.startswith(prefix)),
                    key=lambda kp: kp[1], reverse=True)
    faq_mass = sum(p for _, p in topics)
    intents = {k: p for k, p in distribution.items() if not k.startswith(prefix)}
    if topics:
        intents[retrieval_intent] = faq_mass
    ranking = [{"name": name, "confidence": float(p)}
               for name, p in sorted(intents.items(), key=lambda kp: kp[1], reverse=True)]
    answers = ([{"confidence": float(p / faq_mass), "intent_response_key": k} for k, p in topics]
               if faq_mass > 0 else [])
    return ranking, answers
