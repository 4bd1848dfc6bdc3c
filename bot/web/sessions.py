"""Server-side sessions and the login rate limit, kept in memory (one gateway process).

With several gateways (``AMPER_REDIS_URL``), :mod:`bot.web.shared_state` offers the same
interface in Redis; the gateway only uses the part both share: ``new()``, ``rotate()``,
``end()`` and the coroutines ``load()``, ``commit()``, ``check_alive()`` for the sessions;
``is_blocked()``, ``add_failure()``, ``reset()`` for the rate limit.  The browser only ever
holds the random session id; the Rasa sender id is derived from it
(:meth:`Session.sender_id`) and never read from a request.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, List, Optional, Set

IDLE_SECONDS = 12 * 3600
MAX_SESSIONS = 100_000  # beyond, the oldest created session is dropped (memory stays bounded)
Clock = Callable[[], float]


HISTORY_MAX = 200   # entries of the conversation kept for a reload (oldest dropped)
REPLIES_MAX = 50    # answers kept by message id, so that a retry is never sent twice


CALLERS_MAX = 20    # callers' conversations a staff session keeps (oldest dropped)


@dataclass
class Conversation:
    """One conversation with the assistant as a page shows it, and what makes a retry safe."""

    sender: str                               # the Rasa sender id (never from the browser)
    #: the entries as the page shows them ({"from", "id", "text", "buttons"?, "feedback"?})
    history: List[Dict[str, Any]] = field(default_factory=list)
    #: message id -> the answer's messages (a retry of the same id gets them again)
    replies: "OrderedDict[str, List[Dict[str, Any]]]" = field(default_factory=OrderedDict)
    #: answer id -> the intent of the question it answered (kept for the thumbs)
    intents: "OrderedDict[str, str]" = field(default_factory=OrderedDict)

    def remember(self, message_id: str, question: Dict[str, Any],
                 answers: List[Dict[str, Any]], intent: Optional[str]) -> None:
        self.history.extend([question, *({"from": "bot", "feedback": None, **a}
                                         for a in answers)])
        del self.history[:-HISTORY_MAX]
        self.replies[message_id] = answers
        for answer in answers:
            self.intents[answer["id"]] = intent or ""
        _bound(self.replies, REPLIES_MAX)
        _bound(self.intents, HISTORY_MAX)

    def answer(self, answer_id: str) -> Optional[Dict[str, Any]]:
        return next((e for e in self.history if e["from"] == "bot" and e["id"] == answer_id),
                    None)

    def question_of(self, answer_id: str) -> Optional[str]:
        """The text of the message that ``answer_id`` answered."""
        question = None
        for entry in self.history:
            if entry["from"] == "user":
                question = entry["text"]
            elif entry["id"] == answer_id:
                return question
        return None


def _sender(*parts: str) -> str:
    return "web-" + hashlib.sha256(":".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass
class Session:
    id: str                                   # 256 random bits, the cookie's value
    csrf: str                                 # token the page sends back in X-CSRF-Token
    last_seen: float
    client_number: Optional[str] = None       # set at a client's login
    login: Optional[str] = None
    staff: Optional[str] = None               # set at a staff member's login
    sectors: List[str] = field(default_factory=list)   # the staff member's sectors
    office: bool = False                      # a sector office's account (/bureau, issue 22)
    chat: Optional[Conversation] = None       # the visitor's or client's own conversation
    #: a staff member's conversations on behalf of callers, by client number
    callers: "OrderedDict[str, Conversation]" = field(default_factory=OrderedDict)
    #: the callers whose file was opened (so within the sectors): the only ones chatted for
    callers_allowed: Set[str] = field(default_factory=set)
    #: ended by a logout or a login (rotation): a shared store forgets it after the request
    ended: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.chat is None:
            self.chat = Conversation(sender=self.sender_id)

    @property
    def sender_id(self) -> str:
        """The Rasa sender id: derived from the secret session id, never from the browser."""
        return _sender(self.id)

    def caller(self, client_number: str) -> Conversation:
        """The staff member's conversation for ``client_number`` (one Rasa conversation per
        caller and session)."""
        found = self.callers.get(client_number)
        if found is None:
            found = self.callers[client_number] = Conversation(
                sender=_sender(self.id, "caller", client_number))
            _bound(self.callers, CALLERS_MAX)
        self.callers.move_to_end(client_number)
        return found


def _bound(items: "OrderedDict", size: int) -> None:
    while len(items) > size:
        items.popitem(last=False)


class SessionStore:
    """Sessions by id, forgotten after ``idle_seconds`` without a request."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS, clock: Clock = time.monotonic,
                 max_sessions: int = MAX_SESSIONS):
        self.idle_seconds = idle_seconds
        self.max_sessions = max_sessions
        self.clock = clock
        self._sessions: Dict[str, Session] = {}
        self._pruned = clock()

    def new(self) -> Session:
        self._prune()
        while len(self._sessions) >= self.max_sessions:
            del self._sessions[next(iter(self._sessions))]
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32),
                          last_seen=self.clock())
        self._sessions[session.id] = session
        return session

    def get(self, session_id: Optional[str]) -> Optional[Session]:
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.idle_seconds:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        return session

    def alive(self, session_id: str) -> bool:
        """Whether the session still exists and is not idle for too long, without counting
        this as activity (a page's open event stream must not keep its session alive)."""
        session = self._sessions.get(session_id)
        return session is not None and self.clock() - session.last_seen <= self.idle_seconds

    # --- the interface shared with the Redis store (bot.web.shared_state) ---
    async def load(self, session_id: Optional[str]) -> Optional[Session]:
        return self.get(session_id)

    async def commit(self, loaded: Optional[Session], current: Optional[Session]) -> None:
        """After a request (the sessions live here: nothing to write)."""

    async def check_alive(self, session_id: str) -> bool:
        return self.alive(session_id)

    def rotate(self, session: Session) -> Session:
        """A new id and CSRF token for the same visitor (at login): an id known before the
        login (fixation) opens nothing afterwards."""
        self.end(session)
        fresh = self.new()
        fresh.chat.history = session.chat.history  # still shown; Rasa starts a new conversation
        return fresh

    def end(self, session: Session) -> None:
        session.ended = True
        self._sessions.pop(session.id, None)

    def __len__(self) -> int:
        return len(self._sessions)

    def _prune(self) -> None:
        """Forget the idle sessions (one pass a minute at most)."""
        now = self.clock()
        if now - self._pruned < 60:
            return
        self._pruned = now
        for key in [k for k, s in self._sessions.items()
                    if now - s.last_seen > self.idle_seconds]:
            del self._sessions[key]


@dataclass
class RateLimiter:
    """At most ``limit`` failures per key within ``window`` seconds."""

    limit: int = 5
    window: float = 15 * 60
    clock: Clock = time.monotonic
    _failures: Dict[str, Deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(key)) >= self.limit for key in keys)

    def fail(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self.clock())

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    # --- the interface shared with the Redis limiter (bot.web.shared_state) ---
    async def is_blocked(self, *keys: str) -> bool:
        return self.blocked(*keys)

    async def add_failure(self, *keys: str) -> None:
        self.fail(*keys)

    async def reset(self, key: str) -> None:
        self.clear(key)

    def _recent(self, key: str) -> Deque[float]:
        found = self._failures[key]
        horizon = self.clock() - self.window
        while found and found[0] < horizon:
            found.popleft()
        return found
