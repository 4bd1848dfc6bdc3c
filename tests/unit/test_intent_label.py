"""What the tracker store remembers of a message for the feedback: an intent key, no text."""
from bot.adapters.tracker_store import intent_label

SELECTOR = {"all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": "faq/payment_cesu",
                                 "responses": [{"text": "..."}]}}}


def test_an_faq_answer_is_named_by_its_entry():
    assert intent_label({"intent": {"name": "faq"}, "response_selector": SELECTOR}) \
        == "faq/payment_cesu"


def test_another_intent_keeps_its_name_whatever_the_selector_says():
    assert intent_label({"intent": {"name": "greet"}, "response_selector": SELECTOR}) == "greet"


def test_odd_parse_data_gives_a_name_or_nothing():
    assert intent_label({}) == ""
    assert intent_label({"intent": None}) == ""
    assert intent_label({"intent": {"name": "faq"}, "response_selector": ["x"]}) == "faq"
    assert intent_label({"intent": {"name": "faq"},
                         "response_selector": {"faq": {"response": []}}}) == "faq"


def test_a_selector_key_of_another_retrieval_intent_is_not_taken():
    other = {"faq": {"response": {"intent_response_key": "autre/sujet"}}}
    assert intent_label({"intent": {"name": "faq"}, "response_selector": other}) == "faq"
