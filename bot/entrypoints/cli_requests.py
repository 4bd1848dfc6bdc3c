"""``amper requests``: list, show and change the status of requests (for the offices)."""
from __future__ import annotations

import json

from bot.domain.fr_format import (
    CHANNEL_LABELS_FR, KIND_LABELS_FR, REASON_LABELS_FR, STATUS_LABELS_FR, format_datetime,
    format_slot,
)
from bot.domain.model import Request
from bot.entrypoints.cli import actions_of, _ensure_schema, _uow, registrar


# --- requests --------------------------------------------------------------------------------

@registrar
def _register_requests(subparsers) -> None:
    sub = actions_of(subparsers, "requests", "consulter et traiter les demandes")
    ls = sub.add_parser("list", help="lister les demandes")
    ls.add_argument("--json", action="store_true", help="sortie JSON (une liste d'objets)")
    ls.add_argument("--sector", help="filtrer par secteur")
    ls.add_argument("--status", help="received, forwarded, acknowledged, done ou refused")
    ls.add_argument("--client", help="filtrer par numéro de client")
    ls.add_argument("--kind", help="cancellation ou schedule_change")
    ls.add_argument("--open", action="store_true", help="seulement les demandes en cours")
    ls.set_defaults(func=_cmd_requests_list)
    show = sub.add_parser("show", help="afficher une demande")
    show.add_argument("reference", metavar="REFERENCE")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_cmd_requests_show)
    st = sub.add_parser("set-status", help="changer le statut d'une demande")
    st.add_argument("reference", metavar="REFERENCE")
    st.add_argument("status", metavar="STATUT",
                    help="forwarded, acknowledged, done ou refused")
    st.add_argument("--actor", required=True, help="identifiant de la personne qui traite")
    st.add_argument("--note", help="remarque courte (jamais d'information médicale)")
    st.set_defaults(func=_cmd_requests_set_status)


def _cmd_requests_list(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    found = services.list_requests(_uow(), sector=args.sector, status=args.status,
                                   client_number=args.client, kind=args.kind, open_only=args.open)
    if args.json:
        data = [services.request_as_dict(r) for r in found]
        for item in data:
            item.pop("history", None)
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("Aucune demande.")
        return 0
    for r in found:
        print(f"{r.reference}  {KIND_LABELS_FR[r.kind]:<21} {STATUS_LABELS_FR[r.status]:<32} "
              f"client {r.client_number:<8} {r.intervention_external_id:<16} "
              f"{format_datetime(r.intervention_start)}  {_consequence(r)}")
    return 0


def _consequence(r: Request) -> str:
    if r.exemption_pending:
        return "non facturée si justificatif médical"
    if r.billable is True:
        return "facturée"
    if r.billable is False:
        return "gratuite"
    return "hors délai" if r.out_of_notice else "dans les délais"


def _cmd_requests_show(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    r = services.get_request(_uow(), args.reference)
    if args.json:
        print(json.dumps(services.request_as_dict(r), ensure_ascii=False, indent=2))
        return 0
    lines = [
        f"Demande {r.reference} — {KIND_LABELS_FR[r.kind]} ({STATUS_LABELS_FR[r.status]})",
        f"Client : {r.client_name} (n° {r.client_number}), secteur {r.sector}",
        f"Intervention : {r.intervention_external_id}, "
        f"{format_slot(r.intervention_start, r.intervention_end)}"
        + (f", {r.service}" if r.service else "") + (f", avec {r.caregiver}" if r.caregiver else ""),
    ]
    if r.new_start:
        lines.append(f"Nouvel horaire demandé : {format_slot(r.new_start, r.new_end)}")
    if r.reason:
        lines.append(f"Motif : {REASON_LABELS_FR[r.reason]}")
    lines.append(f"Décision : {r.decision_code} — {_consequence(r)} "
                 f"(préavis : {r.notice_hours:g} h{', hors délai' if r.out_of_notice else ''})")
    lines.append(f"Canal : {CHANNEL_LABELS_FR[r.channel]}, "
                 f"par {r.actor}, le {format_datetime(r.created_at)}")
    lines.append("Historique :")
    for h in r.history:
        note = f" — {h.note}" if h.note else ""
        lines.append(f"  {format_datetime(h.at)} : {STATUS_LABELS_FR[h.to_status]} ({h.actor}){note}")
    print("\n".join(lines))
    return 0


def _cmd_requests_set_status(args) -> int:
    from bot.service_layer import services

    _ensure_schema()
    r = services.change_request_status(_uow(), args.reference, args.status, actor=args.actor,
                                       note=args.note)
    print(f"Demande {r.reference} : {STATUS_LABELS_FR[r.status]}.")
    return 0
