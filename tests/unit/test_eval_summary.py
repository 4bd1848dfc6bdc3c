"""The markdown summary of `make eval` shows the errors of every held-out set."""
from bot.entrypoints.evaluate import summary_md
from bot.nlu.evaluation import Example, Prediction, score


def _prediction(text, label, outcome, confidence=0.9):
    return Prediction(Example(text, label), outcome, confidence, None)


def test_summary_lists_the_errors_of_both_held_out_sets():
    first = [_prediction("je paie comment ?", "faq/payment_methods", "faq/payment_methods"),
             _prediction("quel temps | demain", "out_of_scope", "faq/invoices", 0.71)]
    blind = [_prediction("une aide régulière ?", "faq/same_caregiver", "faq/one_off_services", 0.98)]
    columns = {"Rasa, jeu réservé": score(first), "Rasa, 2e jeu réservé": score(blind)}

    text = summary_md(columns, ["note"], score(first).errors, "make eval",
                      {"2e jeu réservé (écrit à l'aveugle)": score(blind).errors})

    main, _, second = text.partition("## Erreurs : 2e jeu réservé (écrit à l'aveugle)")
    assert "## Erreurs sur le jeu réservé" in main
    assert "| quel temps \\| demain | out_of_scope | faq:invoices | 0.71 |" in main
    assert "je paie comment" not in text  # right answers are not errors
    assert "| une aide régulière ? | faq:same_caregiver | faq:one_off_services | 0.98 |" in second
    assert "une aide régulière" not in main


def test_summary_without_a_second_set_has_one_error_section():
    first = [_prediction("bonjour", "greet", "nlu_fallback", 0.2)]
    text = summary_md({"Rasa, jeu réservé": score(first)}, [], score(first).errors, "make eval")
    assert text.count("## Erreurs") == 1
