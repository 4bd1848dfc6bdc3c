"""The real stack (action server + Rasa server) on free loopback ports."""
from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from bot.entrypoints.launcher import Stack, StackConfig, free_port


def post(url: str, sender: str, message: str) -> list:
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200
        return json.loads(resp.read().decode("utf-8"))


class Client:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, message: str) -> list:
        return post(self.stack.config.rest_url, self.sender, message)

    def text(self, message: str) -> str:
        return " ".join(r.get("text", "") for r in self.say(message))


def make_stack(model_path, var_dir) -> Stack:
    return Stack(
        StackConfig(
            rasa_port=free_port(),
            actions_port=free_port(),
            model=model_path,
            var_dir=var_dir,
            env={"AMPER_OFFICE_PHONE": "01 99 88 77 66"},
        )
    )


@pytest.fixture(scope="session")
def stack(model_path, tmp_path_factory):
    s = make_stack(model_path, tmp_path_factory.mktemp("var"))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def client(stack) -> Client:
    return Client(stack)
