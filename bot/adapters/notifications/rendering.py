"""What the sector office reads: the French e-mail and the webhook JSON document.

Pure functions of the outbox ``payload`` (see :func:`bot.service_layer.services.outbox_payload`,
a JSON snapshot of the request taken when it was recorded, or
:func:`bot.service_layer.services.outbox.callback_payload` for a callback request,
``kind: "callback"``); nothing here sends anything.

* :func:`email_subject`, :func:`render_email`, :func:`build_email` — plain-text e-mail, with a
  ``Message-ID`` derived from the outbox idempotency key (:func:`message_id`: stable across
  retries, so mail systems and people can recognise a duplicate);
* :func:`webhook_document`, :func:`webhook_body` — the documented JSON body
  (docs/forwarding.md), the exact bytes that :mod:`.webhook` signs and POSTs.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.adapters.notifications.errors import DeliveryError, clean
from bot.domain.clock import PARIS
from bot.domain.decision_words import billing_words
from bot.domain.fr_format import (
    CHANNEL_LABELS_FR, KIND_LABELS_FR, REASON_LABELS_FR, format_datetime, format_duration,
    format_slot,
)

SCHEMA_VERSION = 1

#: who typed the request, after the channel's label
CHANNEL_WHO = {"web": "le client lui-même", "phone": "saisie par le bureau pour le client"}
#: the payload's ``kind`` of a callback request (issue 21), and its label
CALLBACK = "callback"
CALLBACK_LABEL = "Rappel demandé"
DECISION = "decision"   # the office's decision, e-mailed to the client (issue 22)


# --- small helpers --------------------------------------------------------------------------

def _parse_dt(value: Any) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _slot(start: Any, end: Any, given: Any = None) -> str:
    if isinstance(given, str) and given.strip():
        return clean(given)
    s, e = _parse_dt(start), _parse_dt(end)
    if s and e:
        return format_slot(s, e)
    if s:
        return format_datetime(s)
    return "non précisé"


def _channel_words(channel: Any) -> str:
    """« site web (le client lui-même) », « téléphone (saisie par le bureau pour le client) »."""
    if channel not in CHANNEL_WHO:
        return clean(channel)
    return f"{CHANNEL_LABELS_FR[channel]} ({CHANNEL_WHO[channel]})"


def _yes_no(value: Any) -> str:
    return "oui" if value else "non"


# --- e-mail -----------------------------------------------------------------------------------

def email_subject(payload: Mapping[str, Any]) -> str:
    """'[AMP-2026-000123] Annulation — M. Dupont — jeudi 5 mars 9 h' (one line).

    The one builder of the subject: the service layer stores it in the outbox payload when
    the request is recorded (this function), and that stored subject is then used as is."""
    ready = payload.get("subject")
    if isinstance(ready, str) and ready.strip():
        return clean(ready, 250).rstrip(" —")
    if payload.get("kind") == CALLBACK:
        # '[RAP-2026-00001] Rappel demandé — Jeanne Martin (client 1001) — Facturation'
        return clean(f"[{payload.get('reference') or '?'}] {CALLBACK_LABEL} — "
                     f"{payload.get('client_name') or 'client'} "
                     f"(client {payload.get('client_id') or '?'}) — "
                     f"{payload.get('topic_label') or ''}", 250).rstrip(" —")
    start = _parse_dt(payload.get("intervention_start"))
    when = format_datetime(start).replace(" à ", " ") if start else ""
    subject = (f"[{payload.get('reference') or '?'}] "
               f"{KIND_LABELS_FR.get(payload.get('kind'), 'Demande')} — "
               f"{payload.get('client_name') or 'client'} — {when}")
    if payload.get("out_of_notice") and payload.get("kind") == "schedule_change":
        subject += " — hors délai"
    return clean(subject, 250).rstrip(" —")


def billing_consequence(payload: Mapping[str, Any]) -> str:
    """What the request means for the invoice, in words the office uses."""
    return billing_words(str(payload.get("kind")), billable=payload.get("billable"),
                         exemption_pending=bool(payload.get("exemption_pending")))


def _notice(payload: Mapping[str, Any]) -> str:
    hours = payload.get("notice_hours")
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or hours < 0:
        return "inconnu"
    try:
        return format_duration(timedelta(hours=float(hours)))
    except (OverflowError, ValueError):
        return "inconnu"


def _group(payload: Mapping[str, Any]) -> Optional[List[str]]:
    """The references of the requests made together with this one, or None."""
    group = payload.get("group_references")
    if not isinstance(group, list) or len(group) < 2:
        return None
    return [str(r) for r in group[:20]]


def render_email(payload: Mapping[str, Any], office_url: str = "") -> Tuple[str, str]:
    """(subject, plain-text body) of the e-mail for the sector office (with a link to the
    request in the office's inbox when ``office_url`` is given), or for the client (the
    office's decision, ``kind: "decision"``)."""
    if not isinstance(payload, Mapping):
        raise DeliveryError("message illisible : contenu de la demande invalide.")
    if payload.get("kind") == CALLBACK:
        return email_subject(payload), _callback_body(payload)
    if payload.get("kind") == DECISION:
        return _decision_email(payload)
    p = payload
    kind = p.get("kind")
    lines = [
        "Bonjour,",
        "",
        "Une demande vient d'être enregistrée par l'assistant AMPER. Merci de la traiter.",
        "",
        *_record_and_client(p, KIND_LABELS_FR.get(kind, clean(kind))),
        "",
        *_inbox_link(p, office_url),
        "INTERVENTION CONCERNÉE",
        f"  Identifiant : {clean(p.get('intervention_id'))}",
        f"  Créneau : {_slot(p.get('intervention_start'), p.get('intervention_end'), p.get('intervention_slot_fr'))}",
    ]
    if p.get("service"):
        lines.append(f"  Prestation : {clean(p.get('service'))}")
    if p.get("caregiver"):
        lines.append(f"  Intervenant(e) : {clean(p.get('caregiver'))}")
    lines += ["", "DEMANDE"]
    if kind == "cancellation":
        lines.append("  Annulation de l'intervention")
        reason = p.get("reason_category")
        lines.append(f"  Motif : {REASON_LABELS_FR.get(reason, clean(reason) or 'non précisé')}")
    else:
        lines.append("  Nouvel horaire demandé : "
                     + _slot(p.get("new_start"), p.get("new_end"), p.get("new_slot_fr")))
    lines += [
        "",
        "DÉCISION DES RÈGLES",
        f"  Code : {clean(p.get('decision_code'))}",
        f"  Préavis restant à l'enregistrement : {_notice(p)}",
        f"  Facturation : {billing_consequence(p)}",
        f"  Exonération en attente de justificatif : {_yes_no(p.get('exemption_pending'))}",
    ]
    if kind == "schedule_change":
        lines.append("  Hors délai (moins de 10 jours) : "
                     + ("oui — le bureau peut refuser ce changement"
                        if p.get("out_of_notice") else "non"))
    else:
        lines.append(f"  Hors délai (moins de 48 h) : {_yes_no(p.get('out_of_notice'))}")
    if p.get("decision_message"):
        lines.append(f"  Message donné au client : « {clean(p.get('decision_message'), 1000)} »")
    group = _group(p)
    if group:
        refs = ", ".join(clean(r, 40) for r in group)
        lines += ["", "DEMANDE GROUPÉE",
                  f"  Le client a demandé ces {len(group)} annulations en une fois : {refs}.",
                  "  Chacune fait l'objet de son propre message."]
    lines += [
        "",
        "—",
        "Message automatique de l'assistant AMPER. Il peut arriver en double après un incident "
        "d'envoi : la référence fait foi.",
    ]
    return email_subject(p), "\n".join(lines) + "\n"


def _inbox_link(p: Mapping[str, Any], office_url: str) -> List[str]:
    """« Ouvrir la demande : https://…/bureau/demande/AMP-… » and a blank line, or nothing."""
    reference = clean(p.get("reference"), 40)
    if not office_url or not re.fullmatch(r"AMP-\d{4}-\d{6}", reference):
        return []
    return [f"Ouvrir la demande : {office_url.rstrip('/')}/bureau/demande/{reference}", ""]


def _decision_email(p: Mapping[str, Any]) -> Tuple[str, str]:
    """The office's decision, for the client: one sentence written by the service layer
    (bot.domain.decision_words.outcome_sentence), nothing medical."""
    reference = clean(p.get("reference"), 40)
    subject = f"[{reference}] Votre demande à AMPER : décision du bureau de secteur"
    lines = [f"Bonjour {clean(p.get('client_name'))},", "",
             clean(p.get("sentence"), 1000), "",
             "Pour toute question, appelez votre bureau de secteur.",
             "", "—",
             "Message automatique de l'assistant AMPER. Vous pouvez aussi suivre vos demandes "
             "dans « Mes demandes » sur le site."]
    return subject, "\n".join(lines) + "\n"


def _record_and_client(p: Mapping[str, Any], kind_label: str) -> List[str]:
    """The lines every office e-mail starts with: what was recorded, when, how, by whom, and
    for which client."""
    created = _parse_dt(p.get("created_at"))
    return [
        f"Référence : {clean(p.get('reference'))}",
        f"Type : {kind_label}",
        f"Enregistrée le : {format_datetime(created, with_year=True) if created else 'inconnu'}",
        f"Canal : {_channel_words(p.get('channel'))}",
        f"Auteur : {clean(p.get('actor'))}",
        "",
        "CLIENT",
        f"  Nom : {clean(p.get('client_name'))}",
        f"  Numéro client : {clean(p.get('client_id'))}",
        f"  Secteur : {clean(p.get('sector'))}",
    ]


def _callback_body(p: Mapping[str, Any]) -> str:
    """The e-mail of a callback request: who to call, on which number, when, about what."""
    lines = [
        "Bonjour,",
        "",
        "Un client demande à être rappelé. La demande a été prise au téléphone avec "
        "l'assistant AMPER. Merci de le rappeler.",
        "",
        *_record_and_client(p, CALLBACK_LABEL),
        "",
        "RAPPEL",
        f"  Numéro à rappeler : {clean(p.get('phone'))}",
        f"  Moment préféré : {clean(p.get('best_time'))}",
        f"  Sujet : {clean(p.get('topic_label') or p.get('topic'))}",
        "",
        "—",
        "Message automatique de l'assistant AMPER. Il peut arriver en double après un incident "
        "d'envoi : la référence fait foi.",
    ]
    return "\n".join(lines) + "\n"


def message_id(idempotency_key: str, mail_from: str = "") -> str:
    """A Message-ID that depends only on the key (and the sender's domain)."""
    domain = mail_from.rsplit("@", 1)[-1].strip("<> ") if "@" in mail_from else ""
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "amper.local"
    local = re.sub(r"[^A-Za-z0-9.-]", ".", idempotency_key)[:60]
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    return f"<{local}.{digest}@{domain}>"


def build_email(payload: Mapping[str, Any], *, to: str, mail_from: str,
                idempotency_key: str, now: Optional[datetime] = None,
                office_url: str = "") -> EmailMessage:
    subject, body = render_email(payload, office_url)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = mail_from
    msg["To"] = to
    msg["Date"] = rfc2822_date(now or datetime.now(timezone.utc))
    msg["Message-ID"] = message_id(idempotency_key, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Amper-Reference"] = clean(payload.get("reference"), 40)
    msg["X-Amper-Idempotency-Key"] = clean(idempotency_key, 100)
    msg.set_content(body, subtype="plain", charset="utf-8")
    return msg


# --- webhook document ---------------------------------------------------------------------------

def webhook_document(payload: Mapping[str, Any], idempotency_key: str,
                     sent_at: datetime) -> Dict[str, Any]:
    """The JSON document POSTed to the office's webhook (docs/forwarding.md)."""
    if not isinstance(payload, Mapping):
        raise DeliveryError("message illisible : contenu de la demande invalide.")
    if payload.get("kind") == CALLBACK:
        return _callback_document(payload, idempotency_key, sent_at)
    p = payload
    return {
        "event": "request.recorded",
        "schema_version": SCHEMA_VERSION,
        "idempotency_key": idempotency_key,
        "sent_at": sent_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "request": {
            "reference": p.get("reference"),
            "kind": p.get("kind"),
            "kind_label": KIND_LABELS_FR.get(p.get("kind")),
            "subject": email_subject(p),
            "created_at": p.get("created_at"),
            "channel": p.get("channel"),
            "actor": p.get("actor"),
            "reason_category": p.get("reason_category"),
            "new_start": p.get("new_start"),
            "new_end": p.get("new_end"),
            "new_slot_fr": p.get("new_slot_fr"),
            "group_references": _group(p),
        },
        "client": {
            "number": p.get("client_id"),
            "name": p.get("client_name"),
            "sector": p.get("sector"),
        },
        "intervention": {
            "id": p.get("intervention_id"),
            "start": p.get("intervention_start"),
            "end": p.get("intervention_end"),
            "slot_fr": p.get("intervention_slot_fr"),
            "service": p.get("service"),
            "caregiver": p.get("caregiver"),
        },
        "decision": {
            "code": p.get("decision_code"),
            "message": p.get("decision_message"),
            "notice_hours": p.get("notice_hours"),
            "billable": p.get("billable"),
            "exemption_pending": bool(p.get("exemption_pending")),
            "out_of_notice": bool(p.get("out_of_notice")),
            "billing_fr": billing_consequence(p),
        },
    }


def _callback_document(p: Mapping[str, Any], idempotency_key: str,
                       sent_at: datetime) -> Dict[str, Any]:
    """A callback request's document: ``event: "callback.recorded"`` (docs/forwarding.md)."""
    return {
        "event": "callback.recorded",
        "schema_version": SCHEMA_VERSION,
        "idempotency_key": idempotency_key,
        "sent_at": sent_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "callback": {
            "reference": p.get("reference"),
            "kind": CALLBACK,
            "kind_label": CALLBACK_LABEL,
            "subject": email_subject(p),
            "created_at": p.get("created_at"),
            "channel": p.get("channel"),
            "actor": p.get("actor"),
            "phone": p.get("phone"),
            "best_time": p.get("best_time"),
            "topic": p.get("topic"),
            "topic_label": p.get("topic_label"),
        },
        "client": {
            "number": p.get("client_id"),
            "name": p.get("client_name"),
            "sector": p.get("sector"),
        },
    }


def webhook_body(payload: Mapping[str, Any], idempotency_key: str, sent_at: datetime) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(webhook_document(payload, idempotency_key, sent_at), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")

