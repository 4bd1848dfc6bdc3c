"""Production or demo: what ``amper run`` checks before starting the servers.

Demo (``AMPER_DEMO=1``, set by ``make run``): the launcher loads the demo into an empty store
and :func:`local_secret` generates a key into ``var/secret``.  Production (``AMPER_DEMO``
unset): ``AMPER_SECRET`` of 32 bytes at least, and no login still opening with the public
demo password (:func:`production_problems`); otherwise the start is refused (exit 2).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from bot import settings
from bot.settings import PROJECT_ROOT

MIN_PRODUCTION_SECRET_BYTES = 32


def local_secret(var_dir: Path = PROJECT_ROOT / "var") -> str:
    """AMPER_SECRET, or (demo mode only) a random one kept in var/secret for local runs."""
    secret = settings.secret()
    if secret:
        return secret
    if not settings.servers().demo:
        raise settings.SettingsError(
            "AMPER_SECRET manquant : définissez-le (32 caractères au moins, par exemple "
            "« python -c 'import secrets; print(secrets.token_urlsafe(32))' »), ou lancez la "
            "démonstration avec AMPER_DEMO=1.")
    return _kept_secret(var_dir / "secret")


def local_link_secret(var_dir: Path = PROJECT_ROOT / "var") -> str:
    """AMPER_WEB_LINK_SECRET (signed /connexion links), or in demo mode a random one kept in
    var/link-secret; empty in production when not set (the links are then refused)."""
    secret = settings.web().link_secret
    if secret or not settings.servers().demo:
        return secret
    return _kept_secret(var_dir / "link-secret")


def _kept_secret(path: Path) -> str:
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def chat_secret(var_dir: Path = PROJECT_ROOT / "var") -> str:
    """The key of the running assistant, for ``amper chat --client``: AMPER_SECRET, else the
    one a demonstration run (``make run``) keeps in var/secret (read, never created here)."""
    secret = settings.secret()
    if secret:
        return secret
    path = var_dir / "secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    return local_secret(var_dir)  # demo mode: creates it; production: the French refusal


def secret_problems(env: Optional[settings.Env] = None) -> List[str]:
    """Production: AMPER_SECRET (the login tokens' key) set, 32 bytes at least."""
    try:
        secret = settings.secret(env)
    except settings.SettingsError as error:
        return [error.message]
    if not secret:
        return ["AMPER_SECRET manquant : en production, définissez une clé de 32 caractères au "
                "moins (la démonstration, AMPER_DEMO=1, en génère une dans var/secret)."]
    if len(secret.encode("utf-8")) < MIN_PRODUCTION_SECRET_BYTES:
        return [f"AMPER_SECRET trop court pour la production : {MIN_PRODUCTION_SECRET_BYTES} "
                "octets au moins (par exemple « python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))' »)."]
    return []


def demo_password_problems(uow) -> List[str]:
    """Production: no login may still open with the public demo password."""
    from bot.service_layer.demo import DEMO_PASSWORD, logins_with_demo_password

    logins = logins_with_demo_password(uow)
    if not logins:
        return []
    shown = ", ".join(logins[:3]) + (f" et {len(logins) - 3} autre(s)" if len(logins) > 3 else "")
    return [f"{len(logins)} compte(s) ont encore le mot de passe public de démonstration "
            f"(« {DEMO_PASSWORD} ») : {shown}. Cette base est celle de la démonstration : "
            "lancez-la avec AMPER_DEMO=1 (make run), ou utilisez la base de production "
            "(AMPER_DATABASE_URL)."]


def production_problems(uow=None, env: Optional[settings.Env] = None) -> List[str]:
    """Why a production start (AMPER_DEMO unset) is refused; empty when it may start."""
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    return secret_problems(env) + demo_password_problems(uow or SqlAlchemyUnitOfWork())
