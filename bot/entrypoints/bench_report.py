"""The report of ``make bench``: rows per server and level, ratios, the reference's cost table."""
from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional

def quantile(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# -- report -----------------------------------------------------------------------------------


@dataclass
class Row:
    server: str
    level: int
    kind: str
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    rate: float


def rows_of(server: str, level: int, turns: Turns) -> List[Row]:
    out = []
    for kind in sorted(set(turns.latencies) | set(turns.errors)):
        lat = turns.latencies.get(kind, [])
        out.append(Row(server, level, kind, len(lat), turns.errors.get(kind, 0),
                       quantile(lat, 50) * 1000, quantile(lat, 95) * 1000, quantile(lat, 99) * 1000,
                       turns.messages / turns.seconds if turns.seconds else 0.0))
    return out


def reference_table(rows: List[Row], rss: Dict[str, Dict[str, float]],
                    training_s: Optional[float]) -> List[str]:
    """Issue 17: what the encoders cost, against bare Rasa trained on the same data."""
    faq = {(r.server, r.level): r for r in rows if r.kind == "faq"}
    levels = sorted({lvl for (server, lvl) in faq if server == "référence"})
    if not levels:
        return []
    out = ["", "## Coût de la compréhension : nous / Rasa nu (référence)", "",
           "Référence : WhitespaceTokenizer + CountVectorsFeaturizer + LogisticRegressionClassifier "
           "de Rasa, nos politiques de dialogue (Memoization, Rule, TED), sans composant à nous ni "
           "serveur d'actions, entraînée sur nos données" + (f" en {training_s:.0f} s" if training_s else "") + ".", "",
           "| tours FAQ | nous | référence | rapport |", "|---|---|---|---|"]
    for level in levels:
        ours, ref = faq.get(("nous", level)), faq[("référence", level)]
        if ours is None:
            continue
        for label, a, b in ((f"p50 à {level} conversation(s)", ours.p50, ref.p50),
                            (f"p95 à {level} conversation(s)", ours.p95, ref.p95)):
            out.append(f"| {label} | {a:.0f} ms | {b:.0f} ms | {a / b if b else float('nan'):.1f} × |")
    top = levels[-1]
    ours, ref = faq.get(("nous", top)), faq[("référence", top)]
    if ours is not None:
        ratio = ours.rate / ref.rate if ref.rate else float("nan")
        out.append(f"| messages/s FAQ à {top} conversations (saturation) | {ours.rate:.1f} | "
                   f"{ref.rate:.1f} | {ratio:.2f} (objectif ≥ 0,5 : {'✓' if ratio >= 0.5 else '✗'}) |")
    ours_rss, ref_rss = rss.get("nous", {}).get("rasa"), rss.get("référence", {}).get("rasa")
    if ours_rss and ref_rss:
        out.append(f"| pic RSS du serveur Rasa | {ours_rss:.0f} Mo | {ref_rss:.0f} Mo | "
                   f"{ours_rss / ref_rss:.1f} × (objectif < 1 536 Mo : "
                   f"{'✓' if ours_rss < 1536 else '✗'}) |")
    return out


def report(rows: List[Row], startup: Dict[str, float], rss: Dict[str, Dict[str, float]],
           args, command: str, reference_training: Optional[float] = None) -> str:
    out = ["# Vitesse et mémoire : mesures", "",
           f"{datetime.now().strftime('%Y-%m-%d %H:%M')} — commande : `{command}` — machine : "
           f"{os.cpu_count()} cœurs, boucle locale ; {args.duration:.0f} s par palier.", "",
           "| serveur | conversations simultanées | tour | réussis | erreurs | p50 (ms) | p95 (ms) "
           "| p99 (ms) | messages/s (palier) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.server} | {r.level} | {r.kind} | {r.count} | {r.errors} | {r.p50:.0f} | "
                   f"{r.p95:.0f} | {r.p99:.0f} | {r.rate:.1f} |")
    out += ["", "## Rapports nous / plancher (p95)", "",
            "| conversations simultanées | tour | nous p95 | plancher FAQ p95 | rapport | objectif |",
            "|---|---|---|---|---|---|"]
    floor = {r.level: r for r in rows if r.server == "plancher" and r.kind == "faq"}
    # "plancher": our model served by rasa run alone (what our actions and store add)
    for r in rows:
        if r.server != "nous" or r.level not in floor or not floor[r.level].count:
            continue
        ratio = r.p95 / floor[r.level].p95 if floor[r.level].p95 else float("nan")
        goal = 1.3 if r.kind == "faq" else 2.0
        mark = "✓" if ratio <= goal else "✗"
        out.append(f"| {r.level} | {r.kind} | {r.p95:.0f} ms | {floor[r.level].p95:.0f} ms | "
                   f"{ratio:.2f} | ≤ {goal} {mark} |")
    out += ["", "Le plancher n'a pas de serveur d'actions : les tours de demande sont comparés à ses "
            "tours FAQ.", "", "## Démarrage et mémoire", "",
            "| serveur | démarrage jusqu'à la première réponse | pic RSS par processus |", "|---|---|---|"]
    for server, secs in startup.items():
        peaks = ", ".join(f"{name} {mb:.0f} Mo" for name, mb in rss.get(server, {}).items())
        out.append(f"| {server} | {secs:.1f} s | {peaks} |")
    out += reference_table(rows, rss, reference_training)
    errors = sum(r.errors for r in rows)
    out += ["", f"Erreurs au total : {errors}. Objectifs (issue 6) : FAQ ≤ 1,3 × le plancher au p95, "
            "demandes ≤ 2 ×, zéro erreur à 50 conversations, pic RSS du serveur Rasa < 1,5 Go."]
    return "\n".join(out) + "\n"


