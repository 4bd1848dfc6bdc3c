"""What a dispatcher pass did, told in French: :class:`DispatchReport` (``amper dispatch
--once`` prints its :meth:`~DispatchReport.summary_fr` and exits 1 unless it is ``ok``) and
:func:`seconds_fr`, the delays in the dispatcher's log lines."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, List


@dataclass
class DispatchReport:
    delivered: int = 0
    failed: int = 0    # will be retried
    dead: int = 0      # gave up: `amper outbox retry`
    waiting: int = 0   # configuration missing
    errors: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.dead or self.waiting)

    @property
    def total(self) -> int:
        return self.delivered + self.failed + self.dead + self.waiting

    def count(self, outcomes: Iterable[str]) -> None:
        """Add the outcomes of a batch ('delivered', 'failed', 'dead', 'waiting'; a 'lost'
        lease is not counted: the dispatcher that took it over reports the message)."""
        for outcome in outcomes:
            if outcome == "delivered":
                self.delivered += 1
            elif outcome == "dead":
                self.dead += 1
            elif outcome == "waiting":
                self.waiting += 1
            elif outcome == "failed":
                self.failed += 1

    def summary_fr(self) -> str:
        if self.total == 0:
            return "Aucun message à envoyer."
        return (f"{self.delivered} message(s) remis, {self.failed} en échec (nouvel essai "
                f"prévu), {self.dead} abandonné(s), {self.waiting} en attente de configuration.")


def seconds_fr(seconds: float) -> str:
    """'moins d'une seconde', '2,5 s', '45 s', '12 min', '1,5 h'."""
    if seconds < 1:
        return "moins d'une seconde"
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".", ",")
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h".replace(".", ",")
