"""The FAQ answers for a text, from the loaded model: ``POST /webhooks/rest/answers``.

The phone-line staff's answer panel (issue 21, docs/staff-contract.md) needs the ranking of
the FAQ answers for what a caller asks, from the same model and the same answer texts as
the client chat.  Rasa's own ``/model/parse`` needs ``--enable-api`` (CVE-2024-49375), so
this route of our REST channel (:mod:`bot.entrypoints.rasa_channel`, on 127.0.0.1) does it:

    POST /webhooks/rest/answers  {"text": "délai annulation"}
    -> {"intent": "faq", "intent_confidence": 0.97, "threshold": 0.6,
        "answers": [{"key": "faq/client_absent", "title": "Si je suis absent",
                     "confidence": 0.96, "text": "Si vous ne pouvez pas être présent…"}, …]}

- ``answers``: the three most probable FAQ answers, best first; ``confidence`` is the
  answer's own probability, P(faq) × P(topic | faq), the very number the FAQ gate
  (:class:`bot.nlu.faq_gate.FaqGate`) compares with its threshold; ``text`` is the
  ``utter_faq/<topic>`` response of the loaded domain; ``title`` the topic's French title
  (:data:`bot.faq.topics.FAQ_TOPICS`).
- ``threshold``: the FAQ gate's threshold in the loaded model (what the chat calls « sure
  enough » to answer without asking), so that the gateway applies the same rule.

Only the NLU runs: no tracker is read or written, no conversation, nothing stored.  The
route answers only a loopback peer, or a private one when Rasa listens on a private address
(``AMPER_RASA_HOST``, several machines) (403 otherwise), and checks its input like the webhook:
400 with a French ``{"error", "message"}``.
"""
from __future__ import annotations

import ipaddress
import json
import logging
from typing import Any, Dict, List

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.chat import wording
from bot.faq.topics import FAQ_TOPICS, RETRIEVAL_INTENT

log = logging.getLogger(__name__)

#: what the staff types is a few words; the gateway allows 300 characters
MAX_TEXT_CHARS = 1000
TOP = 3
#: the FAQ gate's default threshold (bot.nlu.faq_gate), when the model has no gate
DEFAULT_THRESHOLD = 0.5

NOT_LOOPBACK = "Adresse refusée : ce service ne répond qu'à la machine elle-même."
NOT_READY = "Le modèle n'est pas encore chargé. Réessayez dans un instant."
BAD_BODY = "Requête invalide : envoyez un objet JSON avec « text » (la question)."


def _json(body: Any, status: int = 200) -> HTTPResponse:
    return response.json(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _problem(status: int, code: str, message: str) -> HTTPResponse:
    return _json({"error": code, "message": message}, status)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def allowed_peer(address: str, listening: str) -> bool:
    """A loopback peer; or, when Rasa listens on a private address (``AMPER_RASA_HOST``,
    several machines: docs/deploy.md), a peer of the private network (the gateways)."""
    if _loopback(address):
        return True
    try:
        peer, own = ipaddress.ip_address(address), ipaddress.ip_address(listening)
    except ValueError:
        return False
    return not own.is_loopback and own.is_private and peer.is_private


def text_of(body: Any) -> str:
    """The cleaned text of a decoded body, or InputError in French."""
    from bot.entrypoints.rasa_channel import InputError, clean_text

    if not isinstance(body, dict):
        raise InputError("body_not_object", BAD_BODY)
    text = body.get("text")
    if not isinstance(text, str):
        raise InputError("text_not_text", wording.input_not_text())
    if len(text) > MAX_TEXT_CHARS:
        raise InputError("text_too_long", wording.input_too_long(MAX_TEXT_CHARS))
    # a leading "/" would be read by Rasa as an intent given by hand, not as a question
    text = clean_text(text).lstrip("/").strip()
    if not text:
        raise InputError("text_empty", wording.input_empty())
    return text


def gate_threshold(agent: Any) -> float:
    """The FAQ gate's threshold in the loaded model (its config, else its default)."""
    from bot.nlu.faq_gate import FaqGate

    metadata = getattr(getattr(agent, "processor", None), "model_metadata", None)
    schema = getattr(metadata, "predict_schema", None)
    for node in getattr(schema, "nodes", {}).values():
        if isinstance(node.uses, type) and issubclass(node.uses, FaqGate):
            config = {**FaqGate.get_default_config(), **(node.config or {})}
            return float(config["threshold"])
    return DEFAULT_THRESHOLD


def faq_probability(parse: Dict[str, Any]) -> float:
    """P(faq) in a parse: the ``faq`` entry of the intent ranking (the FAQ gate may have put
    ``nlu_fallback`` first, it keeps the classifier's ranking behind it)."""
    for entry in parse.get("intent_ranking") or []:
        if entry.get("name") == RETRIEVAL_INTENT:
            return float(entry.get("confidence") or 0.0)
    intent = parse.get("intent") or {}
    return float(intent.get("confidence") or 0.0) if intent.get("name") == RETRIEVAL_INTENT else 0.0


def ranked_answers(parse: Dict[str, Any], responses: Dict[str, Any],
                   top: int = TOP) -> List[Dict[str, Any]]:
    """The ``top`` FAQ answers of a parse, best first, with their texts from ``responses``
    (the domain's responses: ``utter_faq/<topic>`` -> variants)."""
    selector = (parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    p_faq = faq_probability(parse)
    found = []
    for entry in selector.get("ranking") or []:
        key = entry.get("intent_response_key") or ""
        topic = key.partition("/")[2]
        variants = responses.get(f"utter_{key}") or []
        text = next((v.get("text") for v in variants if isinstance(v, dict) and v.get("text")),
                    None)
        if not text:
            continue  # a topic without an answer text is not shown (the tests forbid it)
        found.append({"key": key, "title": FAQ_TOPICS.get(topic, topic),
                      "confidence": round(p_faq * float(entry.get("confidence") or 0.0), 4),
                      "text": " ".join(text.split())})
    found.sort(key=lambda a: a["confidence"], reverse=True)
    return found[:top]


def answers_of(parse: Dict[str, Any], agent: Any) -> Dict[str, Any]:
    intent = parse.get("intent") or {}
    responses = getattr(getattr(agent, "domain", None), "responses", None) or {}
    return {"intent": intent.get("name"),
            "intent_confidence": round(float(intent.get("confidence") or 0.0), 4),
            "threshold": gate_threshold(agent),
            "answers": ranked_answers(parse, responses)}


def add_route(hook: Blueprint) -> None:
    """Adds ``POST /answers`` to the REST channel's blueprint (``/webhooks/rest/answers``)."""
    from bot import settings

    listening = settings.cluster().rasa_host

    @hook.route("/answers", methods=["POST"])
    async def answers(request: Request) -> HTTPResponse:
        from bot.entrypoints.rasa_channel import InputError

        if not allowed_peer(request.ip or "", listening):
            return _problem(403, "not_loopback", NOT_LOOPBACK)
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "invalid_json", BAD_BODY)
        try:
            text = text_of(body)
        except InputError as exc:
            return _problem(400, exc.code, exc.message)
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return _problem(503, "not_ready", NOT_READY)
        parse = await agent.parse_message(text)  # the NLU only: no tracker, nothing stored
        return _json(answers_of(parse, agent))

