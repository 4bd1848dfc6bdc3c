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

Memory, measured by loading the model node by node (docs/measurements.md):

- Rasa builds each TensorFlow model (today only TED; DIET and the ResponseSelector are gone) for *training* when it
  loads it: it compiles it with an Adam optimizer and fits one example, so that the
  variables exist before the saved weights are read.  The training graph, the gradients
  and the optimizer's slots then stay in memory for nothing (~370 MB on our model).
  ``load_for_inference`` reads the weights first (TensorFlow restores each variable when
  it is created) and builds the variables with the one prediction Rasa runs anyway, then
  checks that every variable of the model was restored from the file; if anything is
  off it falls back to Rasa's own way.  Same predictions, to the last digit (tested).
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Dict, Optional, Text

logger = logging.getLogger(__name__)


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


def _rasa_load():
    """Rasa's own ``RasaModel.load`` (the function under the classmethod)."""
    from rasa.utils.tensorflow.models import RasaModel

    return getattr(RasaModel, "_amper_original_load", RasaModel.load.__func__)


def load_for_inference(cls, model_file_name: Text, model_data_example: Any,
                       predict_data_example: Optional[Any] = None,
                       finetune_mode: bool = False, *args: Any, **kwargs: Any):
    """``RasaModel.load`` without the training graph (see the module's docstring)."""
    original = _rasa_load()
    if finetune_mode or predict_data_example is None or predict_data_example.is_empty():
        return original(cls, model_file_name, model_data_example, predict_data_example,
                        finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    try:
        status = model.load_weights(model_file_name)
        status.expect_partial()  # the optimizer's slots in the file are not needed
        model.run_inference(predict_data_example)  # creates (and restores) the variables
        status.assert_existing_objects_matched()
        if not model.weights:
            raise ValueError("no variable was created")
    except Exception as error:  # noqa: BLE001 - Rasa's way still works
        logger.warning("Loading %s for inference only failed (%s); loading it as Rasa does.",
                       cls.__name__, error)
        return original(cls, model_file_name, model_data_example, predict_data_example,
                        finetune_mode, *args, **kwargs)
    return model


def apply_fixes() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.tensorflow.models import RasaModel

    if not hasattr(RemoteAction, "_amper_original_validate"):
        RemoteAction._amper_original_validate = RemoteAction._validate_action_result
        RemoteAction._validate_action_result = _validate_action_result
    if not hasattr(RasaModel, "_amper_original_load"):
        RasaModel._amper_original_load = RasaModel.load.__func__
        RasaModel.load = classmethod(load_for_inference)


def undo_fixes() -> None:
    """Rasa as shipped (tests compare both)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.tensorflow.models import RasaModel

    if hasattr(RemoteAction, "_amper_original_validate"):
        RemoteAction._validate_action_result = RemoteAction._amper_original_validate
        del RemoteAction._amper_original_validate
    if hasattr(RasaModel, "_amper_original_load"):
        RasaModel.load = classmethod(RasaModel._amper_original_load)
        del RasaModel._amper_original_load


#: Environment for the Rasa process (also given to the bench's floor, for a fair ratio).
#: ``MALLOC_ARENA_MAX=2``: glibc gives each thread that contends for the allocator its own
#: arena (up to 8 per core); TensorFlow's thread pools made them grow to ~80 MB of peak
#: RSS more on our model (1,747 -> 1,669 MB after 30 parses).  glibc reads it when the
#: process starts, so the launcher passes it in the environment of the child process.
RASA_ENV = {"TF_ENABLE_ONEDNN_OPTS": "0", "MALLOC_ARENA_MAX": "2", "RASA_TELEMETRY_ENABLED": "false"}
TELEMETRY = "RASA_TELEMETRY_ENABLED"


#: Bodies over 64 KiB get a 413 before any parsing (a valid message is < 30 KiB).
RASA_MAX_BODY_BYTES = 64 * 1024


def child_env(environ) -> dict:
    """The environment of a Rasa process started from ``environ`` (launcher, amper serve rasa)."""
    env = dict(environ)
    env.update({"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_BODY_BYTES),
                "SANIC_FALLBACK_ERROR_FORMAT": "json",
                **{k: environ.get(k, v) for k, v in RASA_ENV.items()}})
    env[TELEMETRY] = "false"  # off, whatever the caller's environment says
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def rasa_argv(python: str, host: str, port: int, model, endpoints, credentials) -> list:
    """``rasa run`` through this module: our channel only, never ``--enable-api``."""
    return [python, "-m", "bot.entrypoints.rasa_server", "run", "-i", host, "-p", str(port),
            "--model", str(model), "--endpoints", str(endpoints),
            "--credentials", str(credentials)]


def use_amper_logs() -> None:
    """Rasa's coloured logs replaced by ours (bot/logs.py: component ``rasa``, instance,
    request id), when ``rasa run`` sets up its logging."""
    import os
    import rasa.utils.io

    from bot import logs

    def configure(loglevel=None) -> None:
        level = loglevel or os.environ.get("LOG_LEVEL", "INFO")
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
        logs.setup("rasa", level=level if isinstance(level, int) else logging.INFO)

    rasa.utils.io.configure_colored_logging = configure


def main() -> None:
    import os

    for key, value in RASA_ENV.items():
        os.environ.setdefault(key, value)  # before TensorFlow is imported
    os.environ[TELEMETRY] = "false"  # never reports anything outside, whatever the caller says
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    use_amper_logs()
    rasa_main()


if __name__ == "__main__":
    main()
