"""Personal data masked out of a question before it is kept (bot/domain/masking.py):
numbers, e-mail addresses and the planning's names, whole words, accents and case
ignored."""
from __future__ import annotations

import pytest

from bot.domain.masking import mask_personal, name_words

NAMES = ["Mme Hélène Dupont", "M. Louis Martin", "Marie Lambert", "Karim Haddad", "Li Bo"]


@pytest.mark.parametrize("text, masked", [
    ("mon numéro est le 06 12 34 56 78", "mon numéro est le [nombre]"),
    ("appelez le +33 6 12 34 56 78 svp", "appelez le [nombre] svp"),
    ("06.12.34.56.78 ou 06-12-34-56-78", "[nombre] ou [nombre]"),
    ("client n°1001, facture 2026-12", "client n°[nombre], facture [nombre]"),
    ("écrivez à jeanne.dupont+amper@exemple.fr merci", "écrivez à [e-mail] merci"),
    ("3 jours avant", "3 jours avant"),  # a single digit names no one
    ("le 12/03 à 14h30", "le [nombre]/[nombre] à [nombre]h[nombre]"),
])
def test_numbers_and_e_mail_addresses(text, masked):
    assert mask_personal(text, []) == masked


@pytest.mark.parametrize("text, masked", [
    ("helene dupont veut annuler", "[nom] veut annuler"),
    ("Mme HÉLÈNE DUPONT", "Mme [nom]"),
    ("est-ce que Marie vient ? et Lambert ?", "est-ce que [nom] vient ? et [nom] ?"),
    ("Karim-Haddad est en retard", "[nom] est en retard"),
    ("les martinets et le martin-pêcheur", "les martinets et le [nom]-pêcheur"),
    ("Li Bo, Bo et Li", "Li Bo, Bo et Li"),  # words of fewer than 3 letters are kept
    ("mademoiselle Louise", "mademoiselle Louise"),  # not a name of the planning
])
def test_names_of_the_planning_as_whole_words(text, masked):
    assert mask_personal(text, NAMES) == masked


def test_everything_together_and_precomputed_words():
    words = name_words(NAMES)
    assert "mme" not in words and "helene" in words and "bo" not in words
    text = "Bonjour, Hélène Dupont (1001), tel 0612345678, mail h.dupont@x.fr : Marie absente"
    expected = "Bonjour, [nom] ([nombre]), tel [nombre], mail [e-mail] : [nom] absente"
    assert mask_personal(text, words) == mask_personal(text, NAMES) == expected


def test_placeholders_are_never_masked_again():
    assert mask_personal("[nom] [nombre] [e-mail]", ["Nom Nombre Mail"]) == \
        "[nom] [nombre] [e-mail]"
    assert mask_personal("", NAMES) == "" and mask_personal(None, NAMES) == ""
