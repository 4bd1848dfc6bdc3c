"""Run-time settings: the one module that reads the environment.

Every variable has an embedded default, is documented in the README ("Configuration") and
is checked when a program starts (:func:`check`): a wrong value stops it with a French
message naming the variable, instead of failing later in the middle of a conversation.

Each part of the code asks for its own section (``database()``, ``servers()``,
``contact_settings()``…), read from the environment at that moment, so that a test may
change a variable with ``monkeypatch.setenv``.  Programs read them once at start.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "amper.db"

Env = Mapping[str, str]


class SettingsError(ValueError):
    """A variable with a value that cannot be used; ``message`` is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _env(env: Optional[Env]) -> Env:
    return os.environ if env is None else env


def text(env: Optional[Env], name: str, default: str = "") -> str:
    value = (_env(env).get(name) or "").strip()
    return value or default


def raw(env: Optional[Env], name: str) -> str:
    """The value exactly as given (a password may begin or end with a space)."""
    return _env(env).get(name) or ""


def number(env: Optional[Env], name: str, default: float, *, integer: bool = False,
           minimum: float = 0.0, maximum: float = 10**7) -> float:
    """A number from the environment, ``default`` when empty; SettingsError otherwise."""
    raw = text(env, name)
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or value != value or not minimum <= value <= maximum:
        kind = "un entier" if integer else "un nombre"
        bounds = (f"≥ {minimum:g}" if maximum >= 10**7
                  else f"entre {minimum:g} et {maximum:g}")
        raise SettingsError(f"{name} invalide (« {raw[:30]} ») : {kind} {bounds} attendu.")
    return value


def port(env: Optional[Env], name: str, default: int) -> int:
    return int(number(env, name, default, integer=True, minimum=1, maximum=65535))


def flag(env: Optional[Env], name: str) -> bool:
    """True for 1/oui/yes/true/on; False when empty or 0/non/no/false/off."""
    raw = text(env, name).lower()
    if raw in ("", "0", "non", "no", "false", "off"):
        return False
    if raw in ("1", "oui", "yes", "true", "on"):
        return True
    raise SettingsError(f"{name} invalide (« {raw[:30]} ») : 1 ou 0 attendu.")


# --- sections -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatabaseSettings:
    url: str                 # AMPER_DATABASE_URL
    connect_timeout: int     # AMPER_DB_CONNECT_TIMEOUT: seconds to reach PostgreSQL


def database(env: Optional[Env] = None) -> DatabaseSettings:
    url = text(env, "AMPER_DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
    if "://" not in url:
        raise SettingsError(f"AMPER_DATABASE_URL invalide (« {url[:40]} ») : une adresse comme "
                            "sqlite:///var/amper.db ou postgresql+psycopg2://… est attendue.")
    return DatabaseSettings(url=url, connect_timeout=int(number(
        env, "AMPER_DB_CONNECT_TIMEOUT", 5, integer=True, minimum=1, maximum=600)))


@dataclass(frozen=True)
class ServerSettings:
    rasa_port: int           # AMPER_RASA_PORT (127.0.0.1 only)
    actions_port: int        # AMPER_ACTIONS_PORT (127.0.0.1 only)
    debug: bool              # AMPER_DEBUG: tracebacks instead of the French one-line error
    demo: bool = False       # AMPER_DEMO: demo planning and logins, local secret (make run)


def servers(env: Optional[Env] = None) -> ServerSettings:
    return ServerSettings(rasa_port=port(env, "AMPER_RASA_PORT", 5005),
                          actions_port=port(env, "AMPER_ACTIONS_PORT", 5055),
                          debug=flag(env, "AMPER_DEBUG"), demo=flag(env, "AMPER_DEMO"))


def secret(env: Optional[Env] = None) -> str:
    """AMPER_SECRET (HS256 key of the login tokens); "" when unset."""
    value = text(env, "AMPER_SECRET")
    if value and len(value) < 16:
        raise SettingsError("AMPER_SECRET trop court : 16 caractères au moins (32 conseillés).")
    return value


@dataclass(frozen=True)
class ContactSettings:
    phone: str               # AMPER_OFFICE_PHONE
    email: str               # AMPER_OFFICE_EMAIL

    def sentence(self) -> str:
        """How to reach a person, as a French sentence (« appelez… ou écrivez à… »)."""
        return self._ways("appelez", "écrivez")

    def infinitive(self) -> str:
        """The same after « Vous pouvez aussi » (« appeler… ou écrire à… »)."""
        return self._ways("appeler", "écrire")

    def _ways(self, call: str, write: str) -> str:
        parts = [f"{call} le bureau AMPER au {self.phone}"]
        if self.email:
            parts.append(f"{write} à {self.email}")
        return " ou ".join(parts)


def contact_settings(env: Optional[Env] = None) -> ContactSettings:
    return ContactSettings(phone=text(env, "AMPER_OFFICE_PHONE", "01 23 45 67 89"),
                           email=text(env, "AMPER_OFFICE_EMAIL", "contact@amper.example"))


@dataclass(frozen=True)
class EncoderSettings:
    threads: Optional[int]   # AMPER_ENCODER_THREADS; None = the caller's default
    cache: str               # AMPER_EMBEDDING_CACHE; "" = no cache


def encoder(env: Optional[Env] = None) -> EncoderSettings:
    threads = int(number(env, "AMPER_ENCODER_THREADS", 0, integer=True, maximum=256)) or None
    cache = _env(env).get("AMPER_EMBEDDING_CACHE", ".cache/embeddings").strip()
    return EncoderSettings(threads=threads, cache=cache)


@dataclass(frozen=True)
class RetentionSettings:
    """How long personal data is kept (docs/privacy.md), in days; ``amper purge`` applies it."""

    conversations_days: int  # AMPER_RETENTION_CONVERSATIONS_DAYS: since the last message
    requests_days: int       # AMPER_RETENTION_REQUESTS_DAYS: closed requests, then anonymised
    outbox_days: int         # AMPER_RETENTION_OUTBOX_DAYS: delivered payloads, then emptied
    feedback_days: int = 400  # AMPER_RETENTION_FEEDBACK_DAYS: votes on answers, then deleted
    unanswered_days: int = 90  # AMPER_RETENTION_UNANSWERED_DAYS: unanswered questions, deleted
    callbacks_days: int = 90  # AMPER_RETENTION_CALLBACKS_DAYS: callbacks (and messages), deleted


def retention(env: Optional[Env] = None) -> RetentionSettings:
    def days(name: str, default: int) -> int:
        return int(number(env, name, default, integer=True, minimum=1, maximum=36500))

    return RetentionSettings(conversations_days=days("AMPER_RETENTION_CONVERSATIONS_DAYS", 30),
                             requests_days=days("AMPER_RETENTION_REQUESTS_DAYS", 400),
                             outbox_days=days("AMPER_RETENTION_OUTBOX_DAYS", 7),
                             feedback_days=days("AMPER_RETENTION_FEEDBACK_DAYS", 400),
                             unanswered_days=days("AMPER_RETENTION_UNANSWERED_DAYS", 90),
                             callbacks_days=days("AMPER_RETENTION_CALLBACKS_DAYS", 90))


@dataclass(frozen=True)
class WebSettings:
    host: str                # AMPER_WEB_HOST: address of the web gateway (the public surface)
    port: int                # AMPER_WEB_PORT
    embed_origins: Tuple[str, ...]   # AMPER_WEB_EMBED_ORIGINS: sites allowed to frame /widget
    trusted_proxies: Tuple[str, ...]  # AMPER_WEB_TRUSTED_PROXIES: proxies whose X-Forwarded-For counts
    link_secret: str         # AMPER_WEB_LINK_SECRET: signs the /connexion links (empty: refused)
    demo_port: int           # AMPER_WEB_DEMO_PORT: the demo host page embedding the widget
    inbox_poll: float = 2.0  # AMPER_WEB_INBOX_POLL: seconds between two looks for the live list
    #: AMPER_WEB_PUBLIC_URL: the gateway's address as the offices reach it (the e-mails' links)
    public_url: str = ""


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:]+\](:[0-9]{1,5})?$")


def _words(env: Optional[Env], name: str) -> Tuple[str, ...]:
    return tuple(w for w in re.split(r"[\s,]+", text(env, name)) if w)


def web(env: Optional[Env] = None) -> WebSettings:
    origins = _words(env, "AMPER_WEB_EMBED_ORIGINS")
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise SettingsError(f"AMPER_WEB_EMBED_ORIGINS invalide (« {origin[:60]} ») : des "
                                "origines comme https://www.exemple.fr, séparées par des espaces.")
    proxies = _words(env, "AMPER_WEB_TRUSTED_PROXIES")
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(f"AMPER_WEB_TRUSTED_PROXIES invalide (« {proxy[:60]} ») : des "
                                "adresses IP ou réseaux (10.0.0.0/8), séparés par des espaces.") \
                from None
    link_secret = raw(env, "AMPER_WEB_LINK_SECRET")
    if link_secret and len(link_secret.encode("utf-8")) < 32:
        raise SettingsError("AMPER_WEB_LINK_SECRET trop court : 32 octets au moins "
                            "(par exemple : openssl rand -hex 32).")
    web_port = port(env, "AMPER_WEB_PORT", 8000)
    public_url = text(env, "AMPER_WEB_PUBLIC_URL", f"http://127.0.0.1:{web_port}").rstrip("/")
    if not _ORIGIN.match(public_url):
        raise SettingsError(f"AMPER_WEB_PUBLIC_URL invalide (« {public_url[:60]} ») : une "
                            "adresse comme https://assistant.amper.fr, sans chemin.")
    return WebSettings(host=text(env, "AMPER_WEB_HOST", "127.0.0.1"),
                       port=web_port, public_url=public_url,
                       embed_origins=origins, trusted_proxies=proxies, link_secret=link_secret,
                       demo_port=port(env, "AMPER_WEB_DEMO_PORT", 8001),
                       inbox_poll=number(env, "AMPER_WEB_INBOX_POLL", 2.0, minimum=0.05,
                                         maximum=300))


#: The sections checked at start; the outbox's own sections add themselves (dispatch).
@dataclass(frozen=True)
class ClusterSettings:
    """Several instances on one or several machines (issue 23, docs/deploy.md).  Empty
    values: one machine, everything in the process or under var/ (``make run``)."""

    redis_url: str           # AMPER_REDIS_URL: Rasa's lock store, the gateways' sessions…
    tracker_url: str         # AMPER_TRACKER_URL: the conversations (default var/tracker.db)
    actions_url: str         # AMPER_ACTIONS_URL: the action server(s) Rasa calls
    rasa_urls: Tuple[str, ...]   # AMPER_RASA_URLS: the Rasa instances a gateway spreads over
    rasa_host: str           # AMPER_RASA_HOST: Rasa's listening address (a private one only)
    actions_host: str        # AMPER_ACTIONS_HOST: the action server's listening address
    instance: str            # AMPER_INSTANCE: this process's name in the logs
    log_format: str          # AMPER_LOG_FORMAT: text (default) or json (one object a line)
    #: AMPER_DISPATCHER_HEALTH_PORT: /health and /ready of `amper serve dispatcher` (0: none)
    dispatcher_health_port: int = 0


_REDIS = re.compile(r"^(redis|rediss|unix)://\S+$")
_HTTP_BASE = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+(/[\w./-]*)?$")


def _address(env: Optional[Env], name: str) -> str:
    value = text(env, name, "127.0.0.1")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise SettingsError(f"{name} invalide (« {value[:40]} ») : une adresse IP (127.0.0.1, "
                            "ou une adresse du réseau privé, jamais publique).") from None
    return value


def cluster(env: Optional[Env] = None) -> ClusterSettings:
    redis_url = text(env, "AMPER_REDIS_URL")
    if redis_url and not _REDIS.match(redis_url):
        raise SettingsError(f"AMPER_REDIS_URL invalide (« {redis_url[:40]} ») : une adresse "
                            "comme redis://127.0.0.1:6379/0.")
    tracker_url = text(env, "AMPER_TRACKER_URL")
    if tracker_url and not re.match(r"^(sqlite|postgresql(\+psycopg2)?)://", tracker_url):
        raise SettingsError(f"AMPER_TRACKER_URL invalide (« {tracker_url[:40]} ») : "
                            "sqlite:///var/tracker.db ou postgresql+psycopg2://…")
    try:
        ports = servers(env)
    except SettingsError:  # said once, by the servers' section
        ports = ServerSettings(rasa_port=5005, actions_port=5055, debug=False)
    actions_url = text(env, "AMPER_ACTIONS_URL",
                       f"http://127.0.0.1:{ports.actions_port}/webhook")
    rasa_urls = _words(env, "AMPER_RASA_URLS") or (f"http://127.0.0.1:{ports.rasa_port}",)
    for name, urls in (("AMPER_ACTIONS_URL", (actions_url,)), ("AMPER_RASA_URLS", rasa_urls)):
        for url in urls:
            if not _HTTP_BASE.match(url):
                raise SettingsError(f"{name} invalide (« {url[:60]} ») : des adresses comme "
                                    "http://10.0.0.5:5005, séparées par des espaces.")
    log_format = text(env, "AMPER_LOG_FORMAT", "text").lower()
    if log_format not in ("text", "json"):
        raise SettingsError("AMPER_LOG_FORMAT invalide : text ou json.")
    return ClusterSettings(
        redis_url=redis_url, tracker_url=tracker_url, actions_url=actions_url,
        rasa_urls=tuple(u.rstrip("/") for u in rasa_urls),
        rasa_host=_address(env, "AMPER_RASA_HOST"),
        actions_host=_address(env, "AMPER_ACTIONS_HOST"),
        instance=text(env, "AMPER_INSTANCE", f"{os.uname().nodename}:{os.getpid()}")[:60],
        log_format=log_format,
        dispatcher_health_port=int(number(env, "AMPER_DISPATCHER_HEALTH_PORT", 0, integer=True,
                                          maximum=65535)))


SECTIONS: List[Callable[[Optional[Env]], object]] = [database, servers, secret, contact_settings,
                                                     encoder, retention, web, cluster]


def check(env: Optional[Env] = None, sections: Sequence[Callable] = ()) -> List[str]:
    """Every problem of the environment, as French sentences (empty: all usable)."""
    problems = []
    for section in [*SECTIONS, *sections]:
        try:
            section(env)
        except SettingsError as error:
            problems.append(error.message)
    return problems


def report(problems: Sequence[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"Erreur de configuration (voir le tableau « Configuration » du README) :\n{lines}"
