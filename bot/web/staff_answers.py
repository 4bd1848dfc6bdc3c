"""The staff's answer panel (issue 21): ``GET /api/conseiller/reponse?q=…``.

The caller's question in, the right FAQ answer out at once, with how sure the assistant is
(docs/staff-contract.md).  The answers come from the Rasa server's own model and domain,
through our REST channel's ``POST /webhooks/rest/answers`` on 127.0.0.1
(:mod:`bot.entrypoints.rasa_answers`; never Rasa's ``--enable-api``): same model, same
answer texts, same « sure enough » threshold (the FAQ gate's) as the client chat.

    {"query": "délai annulation", "close": false,
     "answers": [{"topic": "faq/client_absent", "title": "Si je suis absent",
                  "text": "Si vous ne pouvez pas être présent, prévenez AMPER au moins 48
                  heures avant…", "confidence": 0.96, "confidence_words": "sûr",
                  "rules": ["48 heures"]}]}

- best first; the runner-up too only when ``close`` (its confidence within
  :data:`CLOSE_GAP` of the best one's);
- ``answers`` empty, with a French ``message``, when the best answer is below the FAQ
  gate's threshold;
- ``rules``: the exact substrings of ``text`` stating a business rule (48 h, 10 jours,
  45 minutes, no direct hiring…), for the page to highlight: :data:`RULES`, the one place
  of their patterns.

Speed.  The page sends a query once the typing pauses (a debounce of ~250 ms, in the page:
a query per pause, not per keystroke), and drops an answer to a query older than the last
one it sent.  Here, on top of that:

- an LRU cache (:data:`CACHE_SIZE` entries, :data:`CACHE_SECONDS` each, so that a new model
  loaded by Rasa is seen within minutes) keyed on the *normalised* query: case, accents,
  punctuation and spaces folded (« Délai d'annulation ? » = « delai d annulation »); the
  text sent to Rasa is the first one typed of that key;
- coalescing: a query already waiting for Rasa is not sent again, its twins wait for the
  same answer (several staff members typing the same words, a page retrying);
- one HTTP connection pool to Rasa for the gateway's life.

Staff only: 401 « Connectez-vous avec un compte conseiller. » without a login, 403 « Réservé
aux conseillers. » to a client's session (``request["session"].staff`` is the staff login).
Wired by one line in the gateway: :func:`add_routes`.
"""
from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import ClientSession, TCPConnector, web

from bot.faq.topics import FAQ_TOPICS
from bot.web import wording
from bot.web.http import CONFIG, RASA, REDIS, error
from bot.web.rasa_pool import ANSWERS as ANSWERS_PATH
from bot.web.rasa_pool import RasaLost, RasaUnreachable
from bot.web.staff_api import staff_session

ROUTE = "/api/conseiller/reponse"
MAX_QUERY = 300
CLOSE_GAP = 0.15
SURE, LIKELY = 0.8, 0.5
DEFAULT_THRESHOLD = 0.6   # config.yml's FaqGate threshold, when Rasa does not say it
CACHE_SIZE = 2048
CACHE_SECONDS = 600.0
RASA_TIMEOUT = 10.0       # a staff member on the phone retypes rather than waits

EMPTY_QUERY = "Tapez quelques mots de la question de l'appelant."
QUERY_TOO_LONG = f"Question trop longue : {MAX_QUERY} caractères au plus."
NOTHING_SURE = ("Pas de réponse assez sûre dans la FAQ : précisez avec un mot-clé "
                "(« annulation », « CESU », « horaires »…) ou consultez le bureau.")

#: the business rules an answer may state, as (name, pattern): the exact text they match is
#: returned in ``rules`` for the page to highlight
RULES: Tuple[Tuple[str, "re.Pattern[str]"], ...] = tuple((name, re.compile(pattern, re.I)) for name, pattern in (
    ("préavis d'annulation", r"\b48\s?(?:h|heures)\b"),
    ("délai de changement", r"\b10\s?jours\b"),
    ("durée minimale", r"\b45\s?(?:minutes|min)\b"),
    ("pas d'embauche directe",
     r"(?:interdit\s+de\s+)?(?:recruter|embaucher|salarier|employer)\s+directement"
     r"|embauche\s+directe|(?:salarié|employé)e?\s+directement"),
))

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise(query: str) -> str:
    """The cache key of a query: lower case, no accents, punctuation and spaces folded."""
    text = unicodedata.normalize("NFKD", query.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _PUNCT.sub(" ", text).strip()


def rules_in(text: str) -> List[str]:
    """The exact substrings of ``text`` stating a rule of :data:`RULES`, in reading order."""
    found = sorted((m.start(), m.group(0)) for _, pattern in RULES for m in pattern.finditer(text))
    out: List[str] = []
    for _, words in found:
        if words not in out:
            out.append(words)
    return out


def confidence_words(confidence: float) -> str:
    return "sûr" if confidence >= SURE else "probable" if confidence >= LIKELY else "incertain"


def panel(ranking: Dict[str, Any]) -> Dict[str, Any]:
    """The contract's ``answers``/``close``/``message`` from Rasa's ranking of answers."""
    threshold = ranking.get("threshold")
    threshold = DEFAULT_THRESHOLD if not isinstance(threshold, (int, float)) else float(threshold)
    ranked = [a for a in ranking.get("answers") or []
              if isinstance(a, dict) and isinstance(a.get("text"), str) and a.get("key")]
    if not ranked or float(ranked[0].get("confidence") or 0.0) < threshold:
        return {"answers": [], "close": False, "message": NOTHING_SURE}
    best = float(ranked[0]["confidence"])
    gap = best - float(ranked[1].get("confidence") or 0.0) if len(ranked) > 1 else 1.0
    close = round(gap, 6) <= CLOSE_GAP
    return {"answers": [_answer(a) for a in ranked[:2 if close else 1]], "close": close}


def _answer(ranked: Dict[str, Any]) -> Dict[str, Any]:
    confidence = max(0.0, min(1.0, float(ranked.get("confidence") or 0.0)))
    key = str(ranked["key"])
    topic = key.partition("/")[2]
    return {"topic": key, "title": str(ranked.get("title") or FAQ_TOPICS.get(topic, topic)),
            "text": ranked["text"], "confidence": round(confidence, 3),
            "confidence_words": confidence_words(confidence), "rules": rules_in(ranked["text"])}


class RasaProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class AnswerCache:
    """The LRU cache of panels by normalised query, and the queries waiting for Rasa."""

    def __init__(self, size: int = CACHE_SIZE, seconds: float = CACHE_SECONDS,
                 clock=time.monotonic, shared: Any = None) -> None:
        self.size, self.seconds, self.clock = size, seconds, clock
        #: the panels in Redis, shared by the gateways (bot.web.shared_state.RedisAnswers):
        #: used instead of the local LRU when set
        self.shared = shared
        self._panels: "OrderedDict[str, Tuple[float, Dict[str, Any]]]" = OrderedDict()
        self.inflight: Dict[str, "asyncio.Future[Dict[str, Any]]"] = {}
        self.http: Optional[ClientSession] = None
        self.hits = self.misses = self.joined = 0

    def get(self, key: str) -> Optional[Dict[str, Any]]:
        entry = self._panels.get(key)
        if entry is None or self.clock() - entry[0] > self.seconds:
            self._panels.pop(key, None)
            return None
        self._panels.move_to_end(key)
        return entry[1]

    def put(self, key: str, value: Dict[str, Any]) -> None:
        self._panels[key] = (self.clock(), value)
        self._panels.move_to_end(key)
        while len(self._panels) > self.size:
            self._panels.popitem(last=False)

    def __len__(self) -> int:
        return len(self._panels)

    async def lookup(self, key: str) -> Optional[Dict[str, Any]]:
        return self.get(key) if self.shared is None else await self.shared.lookup(key)

    async def keep(self, key: str, value: Dict[str, Any]) -> None:
        if self.shared is None:
            self.put(key, value)
        else:
            await self.shared.keep(key, value)

    async def answer(self, app: web.Application, key: str,
                     text: str) -> Tuple[Dict[str, Any], str]:
        """(the panel, where it came from: "cache", "rasa" or "joined" a query in flight)."""
        cached = await self.lookup(key)
        if cached is not None:
            self.hits += 1
            return cached, "cache"
        pending = self.inflight.get(key)
        source = "joined"
        if pending is None:
            self.misses += 1
            source = "rasa"
            pending = asyncio.ensure_future(self._fetch(app, key, text))
            self.inflight[key] = pending
            pending.add_done_callback(lambda _: self.inflight.pop(key, None))
        else:
            self.joined += 1
        # shielded: a page dropping its request does not cancel its twins' answer
        return await asyncio.shield(pending), source

    async def _fetch(self, app: web.Application, key: str, text: str) -> Dict[str, Any]:
        config, pool = app[CONFIG], app[RASA]
        if self.http is None or self.http.closed:
            self.http = pool.session(min(RASA_TIMEOUT, config.get("timeout") or RASA_TIMEOUT),
                                     connector=TCPConnector(limit=32))
        down = RasaProblem(503, wording.unavailable(config["contact"]))
        try:  # a read-only question: any instance may answer it, and again after a failure
            reply = await pool.post(ANSWERS_PATH, {"text": text}, key=key, http=self.http,
                                    idempotent=True)
        except (RasaUnreachable, RasaLost):
            raise down from None
        body, status = reply.body, reply.status
        if status == 400 and isinstance(body, dict) and isinstance(body.get("message"), str):
            raise RasaProblem(400, body["message"])
        if status != 200 or not isinstance(body, dict):
            raise down
        result = panel(body)
        await self.keep(key, result)
        return result

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()


ANSWERS = web.AppKey("staff_answers", AnswerCache)
#: the request's key naming where its answer came from ("cache", "rasa", "joined")
SOURCE = "staff_answers.source"


def answers_url(rasa_url: str) -> str:
    """``…/webhooks/rest/answers`` next to the webhook ``…/webhooks/rest/webhook``."""
    base = rasa_url.rstrip("/")
    if base.endswith("/webhook"):
        base = base[: -len("/webhook")]
    return base + "/answers"


async def answer(request: web.Request) -> web.Response:
    """``GET /api/conseiller/reponse?q=…``: the panel for the caller's question."""
    refused = staff_session(request)
    if isinstance(refused, web.Response):
        return refused
    typed = request.query.get("q", "").strip()
    if len(typed) > MAX_QUERY:
        return error(400, QUERY_TOO_LONG)
    query = " ".join(typed.split())
    key = normalise(query)
    if not key:
        return error(400, EMPTY_QUERY)
    try:
        result, source = await request.app[ANSWERS].answer(request.app, key, query)
    except RasaProblem as problem:
        return error(problem.status, problem.message)
    request[SOURCE] = source  # for a log or a measurement (make bench)
    return web.json_response({"query": query, **result})


def add_routes(app: web.Application) -> None:
    """Registers the route, its cache and the closing of its connections to Rasa."""
    redis = app.get(REDIS)
    if redis is not None:
        from bot.web.shared_state import RedisAnswers

        cache = AnswerCache(shared=RedisAnswers(redis))
    else:
        cache = AnswerCache()
    app[ANSWERS] = cache

    async def close(_: web.Application) -> None:
        await cache.close()

    app.on_cleanup.append(close)
    app.router.add_get(ROUTE, answer)
