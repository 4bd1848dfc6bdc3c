"""Starts the Rasa server: ``python -m bot.entrypoints.rasa_server run …`` (same arguments
as ``rasa``), with measured fixes applied first.

Memory: TensorFlow's oneDNN optimisations are turned off (``TF_ENABLE_ONEDNN_OPTS=0``,
unless set otherwise): measured on our model, -130 to -170 MB of peak RSS for the Rasa
server and no slower parsing (median 12.8-14.4 ms against 15.6-15.8 ms, 210 parses).

Profiling request turns (benchmarks/profile_turns.py, docs/measurements.md) showed a
third of the Rasa server's time in ``jsonschema.validate`` on every answer of the action
server: Rasa 3.6 calls ``validate(result, schema)``, which checks the *schema itself*
against the JSON-Schema meta-schema each time before checking the result.  The fix
builds the validator once, checks the schema once, and validates each result against
it: the same checks, the same error message, without the per-call meta-validation.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text


@functools.lru_cache(maxsize=1)
def action_result_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        action_result_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about the "
            f"format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


def apply_fixes() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result


#: Environment for the Rasa process (also given to the bench's floor, for a fair ratio).
TF_ENV = {"TF_ENABLE_ONEDNN_OPTS": "0"}


def main() -> None:
    import os

    for key, value in TF_ENV.items():
        os.environ.setdefault(key, value)  # before TensorFlow is imported
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
