"""Run-time settings, read from the environment with embedded defaults.

Every variable is documented in the README ("Configuration").
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class ContactSettings:
    phone: str
    email: str

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


def contact_settings() -> ContactSettings:
    return ContactSettings(
        phone=_env("AMPER_OFFICE_PHONE", "01 23 45 67 89"),
        email=_env("AMPER_OFFICE_EMAIL", "contact@amper.example"),
    )
