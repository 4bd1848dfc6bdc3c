"""The dispatcher's settings (``AMPER_OUTBOX_*``, ``AMPER_DISPATCH_POLL_INTERVAL``) and its
retry policy: :func:`backoff_delay`, the wait before the next try after a failure."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping, Optional

from bot import settings
from bot.domain.errors import ServiceError


class DispatchConfigError(ServiceError):
    code = "dispatch_config"


def _env_number(env: Optional[Mapping[str, str]], name: str, default: float, *,
                integer: bool = False, minimum: float = 0.0) -> float:
    try:
        return settings.number(env, name, default, integer=integer, minimum=minimum)
    except settings.SettingsError as error:
        raise DispatchConfigError(error.message) from None


@dataclass(frozen=True)
class DispatchSettings:
    max_attempts: int = 10          # AMPER_OUTBOX_MAX_ATTEMPTS: then ``dead``
    backoff_base: float = 30.0      # AMPER_OUTBOX_BACKOFF_BASE: delay after the 1st failure (s)
    backoff_max: float = 3600.0     # AMPER_OUTBOX_BACKOFF_MAX: ceiling of the delay (s)
    jitter: float = 0.5             # share of each delay drawn at random (0..1)
    attempt_timeout: float = 30.0   # AMPER_OUTBOX_ATTEMPT_TIMEOUT: one delivery attempt (s)
    lease: float = 0.0              # AMPER_OUTBOX_LEASE (s); 0 = 2 × timeout + 60
    batch_size: int = 10            # AMPER_OUTBOX_BATCH: messages leased and sent together
    poll_interval: float = 2.0      # AMPER_DISPATCH_POLL_INTERVAL: idle wait (s)
    config_retry: float = 60.0      # AMPER_OUTBOX_CONFIG_RETRY: re-check of a missing setting (s)

    @property
    def lease_seconds(self) -> float:
        return self.lease if self.lease > 0 else 2 * self.attempt_timeout + 60

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "DispatchSettings":
        d = cls()
        chosen = cls(
            max_attempts=int(_env_number(env, "AMPER_OUTBOX_MAX_ATTEMPTS", d.max_attempts,
                                         integer=True, minimum=1)),
            backoff_base=_env_number(env, "AMPER_OUTBOX_BACKOFF_BASE", d.backoff_base),
            backoff_max=_env_number(env, "AMPER_OUTBOX_BACKOFF_MAX", d.backoff_max),
            jitter=min(1.0, _env_number(env, "AMPER_OUTBOX_JITTER", d.jitter)),
            attempt_timeout=_env_number(env, "AMPER_OUTBOX_ATTEMPT_TIMEOUT", d.attempt_timeout,
                                        minimum=0.1),
            lease=_env_number(env, "AMPER_OUTBOX_LEASE", d.lease),
            batch_size=int(_env_number(env, "AMPER_OUTBOX_BATCH", d.batch_size, integer=True,
                                       minimum=1)),
            poll_interval=_env_number(env, "AMPER_DISPATCH_POLL_INTERVAL", d.poll_interval,
                                      minimum=0.01),
            config_retry=_env_number(env, "AMPER_OUTBOX_CONFIG_RETRY", d.config_retry),
        )
        if chosen.lease > 0 and chosen.lease <= chosen.attempt_timeout:
            raise DispatchConfigError("AMPER_OUTBOX_LEASE doit dépasser "
                                      "AMPER_OUTBOX_ATTEMPT_TIMEOUT (sinon un envoi en cours "
                                      "pourrait être repris par un autre répartiteur).")
        return chosen


def backoff_delay(attempts: int, settings: DispatchSettings,
                  rng: Optional[random.Random] = None) -> float:
    """Delay before the next try after ``attempts`` failed attempts: base × 2^(attempts-1),
    capped at backoff_max; the last ``jitter`` share of it is random (spreads the retries
    of many messages failing together)."""
    rng = rng or random
    delay = min(settings.backoff_max, settings.backoff_base * (2 ** min(max(attempts, 1) - 1, 40)))
    fixed = delay * (1 - settings.jitter)
    return fixed + rng.uniform(0, delay - fixed)
