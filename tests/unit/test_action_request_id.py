"""The request id in the action server (docs/deploy.md « Request id »): read from the tracker's
latest message, around each action, and carried into the flows' threads (the store's logs)."""
from __future__ import annotations

import asyncio
import logging

from bot import logs
from bot.entrypoints.action_server import log_actions, request_id_of


def test_the_request_id_is_read_from_the_latest_message_metadata():
    call = {"tracker": {"latest_message": {"metadata": {"request_id": "abcdef0123"}}}}
    assert request_id_of(call) == "abcdef0123"
    assert request_id_of({"tracker": {"latest_message": {"metadata": {"request_id": "<x>"}}}}) \
        is None  # not loggable: a new one is made
    assert request_id_of({"tracker": {}}) is None and request_id_of(None) is None


def test_the_flows_threads_carry_the_request_id():
    from actions.requests import off_loop

    async def run():
        with logs.request_context("flow-request-1"):
            return await off_loop(logs.current_request_id)

    assert asyncio.run(run()) == "flow-request-1"


def test_each_action_is_logged_once_with_its_request_id(caplog):
    from rasa_sdk.executor import ActionExecutor

    log_actions()
    log_actions()  # idempotent
    seen = []

    async def fake_run(self, call):
        seen.append(logs.current_request_id())
        return {"events": [], "responses": []}

    original = ActionExecutor._amper_original_run
    ActionExecutor._amper_original_run = fake_run
    try:
        call = {"next_action": "action_handoff",
                "tracker": {"latest_message": {"metadata": {"request_id": "turn-0123456"}}}}
        with caplog.at_level(logging.INFO, logger="amper.actions"):
            asyncio.run(ActionExecutor().run(call))
    finally:
        ActionExecutor._amper_original_run = original
    assert seen == ["turn-0123456"] and logs.current_request_id() is None
    [line] = [r.getMessage() for r in caplog.records if r.name == "amper.actions"]
    assert line.startswith("action action_handoff : ok en ")
