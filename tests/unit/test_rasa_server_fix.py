"""The Rasa server fix: action results are validated as before, without re-checking the schema."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.entrypoints import rasa_server


@pytest.fixture()
def patched():
    rasa_server.apply_fixes()
    yield RemoteAction("action_x", None)
    rasa_server.undo_fixes()


GOOD = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "ok"}]}
BAD = [{"events": "nope"}, {"events": [{"no_event_key": 1}]}, {"responses": [5]}]


def test_a_valid_result_passes(patched):
    assert patched._validate_action_result(GOOD) is True
    assert patched._validate_action_result({}) is True


@pytest.mark.parametrize("result", BAD)
def test_an_invalid_result_is_refused_like_rasa_does(patched, result):
    with pytest.raises(ValidationError) as ours:
        patched._validate_action_result(result)
    assert "Failed to validate Action server response" in ours.value.message


def test_same_verdicts_as_rasa_on_every_case():
    from jsonschema import validate

    schema = RemoteAction.action_response_format_spec()
    for result in [GOOD, {}] + BAD:
        try:
            validate(result, schema)
            expected = True
        except ValidationError:
            expected = False
        try:
            rasa_server.action_result_validator().validate(result)
            got = True
        except ValidationError:
            got = False
        assert got == expected, result


def test_the_validator_is_built_once():
    assert rasa_server.action_result_validator() is rasa_server.action_result_validator()
