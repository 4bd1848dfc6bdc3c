"""One log setup for every component: the request id follows the context, JSON lines carry
it with the component and instance; an id from outside is kept only when it is sane."""
import json
import logging

from bot import logs


def test_the_request_id_follows_the_block_and_json_lines_carry_it(capsys):
    logs.setup("gateway", env={"AMPER_LOG_FORMAT": "json", "AMPER_INSTANCE": "gw-1"})
    log = logging.getLogger("amper.test")
    with logs.request_context("abc12345-nginx") as rid:
        assert rid == logs.current_request_id() == "abc12345-nginx"
        log.info("bonjour %s", "é")
    with logs.request_context("bad id with spaces") as other:
        assert other != "bad id with spaces" and len(other) == 16
    assert logs.current_request_id() is None
    line = json.loads(capsys.readouterr().err.strip().splitlines()[0])
    assert {k: line[k] for k in ("level", "component", "instance", "request_id", "message")} \
        == {"level": "INFO", "component": "gateway", "instance": "gw-1",
            "request_id": "abc12345-nginx", "message": "bonjour é"}
    logs.setup("gateway", env={})  # text again, one handler only
    assert sum(getattr(h, "amper", False) for h in logging.getLogger().handlers) == 1
