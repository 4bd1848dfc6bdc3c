from bot.faq.clarify import best_guesses, consecutive_misses, faq_pair
from bot.faq.topics import FAQ_TOPICS, faq_payload, topic_from_payload


def _parse(ranking, faq_ranking=()):
    return {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "response_selector": {
            "faq": {"ranking": [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in faq_ranking]}
        },
    }


def test_faq_guesses_combine_intent_and_answer_confidence():
    parse = _parse(
        [("faq", 0.5), ("request_cancellation", 0.3), ("greet", 0.2)],
        [("client_absent", 0.7), ("change_schedule", 0.2), ("invoices", 0.1)],
    )
    guesses = best_guesses(parse)
    assert [g.payload for g in guesses] == [faq_payload("client_absent"), "/request_cancellation"]
    assert guesses[0].title == FAQ_TOPICS["client_absent"]
    assert abs(guesses[0].confidence - 0.35) < 1e-9


def test_small_talk_and_out_of_scope_are_never_offered():
    parse = _parse([("greet", 0.6), ("out_of_scope", 0.3), ("thanks", 0.1)])
    assert best_guesses(parse) == []


def test_unknown_faq_keys_are_ignored():
    parse = _parse([("faq", 0.9)], [("does_not_exist", 0.9), ("invoices", 0.1)])
    assert [g.payload for g in best_guesses(parse)] == [faq_payload("invoices")]


def test_consecutive_misses_counts_only_the_latest_run():
    def user(intent):
        return {"event": "user", "parse_data": {"intent": {"name": intent}}}

    events = [user("nlu_fallback"), {"event": "bot"}, user("faq"), {"event": "action"},
              user("nlu_fallback"), {"event": "bot"}, user("nlu_fallback")]
    assert consecutive_misses(events) == 2
    assert consecutive_misses(events[:3]) == 0
    assert consecutive_misses([]) == 0
    answered_both = {"event": "user", "parse_data": {
        "intent": {"name": "nlu_fallback"}, "faq_pair": ["faq/invoices", "faq/payment_methods"]}}
    assert consecutive_misses(events + [answered_both]) == 0  # two answers given: understood
    assert consecutive_misses(events + [answered_both, user("nlu_fallback")]) == 1


def test_a_faq_pair_needs_two_known_answer_keys():
    assert faq_pair({"faq_pair": ["faq/invoices", "faq/payment_methods"]}) == \
        ["faq/invoices", "faq/payment_methods"]
    assert faq_pair({"faq_pair": ["faq/invoices", "faq/nope"]}) == []
    assert faq_pair({"faq_pair": ["faq/invoices"]}) == [] and faq_pair({}) == []


def test_payload_round_trip_and_rejects_unknown_topics():
    for topic in FAQ_TOPICS:
        assert topic_from_payload(faq_payload(topic)) == topic
    assert topic_from_payload("faq:nope") is None
    assert topic_from_payload("je veux payer") is None
    assert topic_from_payload("") is None


def test_the_status_question_can_be_offered_as_a_guess():
    parse = _parse([("ask_request_status", 0.45), ("request_cancellation", 0.4), ("greet", 0.15)])
    guesses = best_guesses(parse)
    assert [(g.title, g.payload) for g in guesses] == [
        ("Où en est ma demande ?", "/ask_request_status"),
        ("Annuler une intervention", "/request_cancellation")]
