"""The Rasa server's loading fixes (bot/entrypoints/rasa_server.py) change memory, not answers.

The model is loaded twice in this process: as Rasa ships (the session's ``model_runner``)
and with our fixes (TensorFlow models built for inference only).  Every variable of TED
(the only TensorFlow model left since the NLU is a linear model) must hold the same
values, and the parses must be the same to the last digit.
"""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot.entrypoints import rasa_server
from bot.nlu.evaluation import load_examples
from bot.settings import PROJECT_ROOT

PHRASES = [e.text for e in load_examples(PROJECT_ROOT / "data" / "nlu")][::40] + [
    "bonjour", "je peux payer en CESU ?", "quel temps fait-il demain", "oui", "", "???"]


@pytest.fixture(scope="module")
def fixed_agent(model_path, model_runner):
    from rasa.core.agent import Agent

    rasa_server.apply_fixes()
    try:
        agent = Agent.load(str(model_path))
    finally:
        rasa_server.undo_fixes()
    return agent


def _tf_models(agent):
    models = {}
    for name, node in agent.processor.graph_runner._instantiated_nodes.items():
        model = getattr(getattr(node, "_component", None), "model", None)
        if model is not None and hasattr(model, "weights") and model.weights:
            models[name] = model
    return models


def _parameters(model):
    """The model's variables, without the training metrics' counters (loss, accuracy)."""
    counters = {id(v) for metric in model.metrics for v in metric.variables}
    return [v for v in model.weights if id(v) not in counters]


def test_every_variable_is_restored_from_the_file(fixed_agent, model_runner):
    ours, rasas = _tf_models(fixed_agent), _tf_models(model_runner.agent)
    assert len(ours) == 1 and ours.keys() == rasas.keys()  # TED
    for name, model in ours.items():
        assert len(_parameters(model)) >= 10, name
        theirs = {v.name: v.numpy() for v in _parameters(rasas[name])}
        assert {v.name for v in _parameters(model)} == set(theirs), name
        for variable in _parameters(model):
            assert np.array_equal(variable.numpy(), theirs[variable.name]), variable.name
        # built for inference: no optimizer, no training graph kept
        assert model.optimizer is None, name
        assert getattr(model, "train_function", None) is None, name


def test_the_parses_are_identical(fixed_agent, model_runner):
    loop = asyncio.new_event_loop()
    try:
        for text in PHRASES:
            ours = loop.run_until_complete(fixed_agent.parse_message(text))
            assert ours == model_runner.parse(text), text
    finally:
        loop.close()


def test_a_model_file_that_cannot_be_read_falls_back_to_rasas_way(tmp_path):
    from rasa.utils.tensorflow.models import RasaModel

    class Boom(Exception):
        pass

    calls = []

    def original(cls, *args, **kwargs):
        calls.append(args[0])
        raise Boom()

    class Model:
        def __init__(self, *args, **kwargs):
            pass

        def load_weights(self, path):
            raise OSError("unreadable")

    class Example:
        def is_empty(self):
            return False

    RasaModel._amper_original_load = original
    try:
        with pytest.raises(Boom):
            rasa_server.load_for_inference(Model, str(tmp_path / "nope"), object(), Example())
    finally:
        del RasaModel._amper_original_load
    assert calls == [str(tmp_path / "nope")]
