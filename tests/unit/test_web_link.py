"""The signed login link (bot/web/link.py): what is accepted, every refusal, the replay guard."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest

from bot.web import link
from bot.web.link import (LINK_MESSAGES, LinkError, ReplayGuard, make_link_token,
                          verify_link)

SECRET = "s3cret-for-the-link-tests-0123456789"  # 36 bytes
OTHER = "another-secret-of-at-least-32-bytes!!"
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def craft(claims=None, *, header=None, secret=SECRET, digest=hashlib.sha256, raw=None,
          signature=None) -> str:
    """A token built by hand, so that any header or claim can be wrong."""
    header = {"alg": "HS256", "typ": "JWT"} if header is None else header
    body = raw if raw is not None else json.dumps(claims).encode()
    signing_input = b64(json.dumps(header).encode()) + "." + b64(body)
    if signature is None:
        signature = b64(hmac.new(secret.encode(), signing_input.encode(), digest).digest())
    return signing_input + "." + signature


def claims(**changes):
    found = {"sub": "1001", "iat": int(NOW), "exp": int(NOW) + 120,
             "jti": "a-random-jti-0123456789", "aud": "amper-connexion"}
    for name, value in changes.items():
        if value is ...:
            found.pop(name)
        else:
            found[name] = value
    return found


def reason(token, *, secret=SECRET, guard=None, now=NOW) -> str:
    with pytest.raises(LinkError) as refused:
        verify_link(token, secret=secret, guard=guard or ReplayGuard(), now=now)
    return refused.value.reason


# --- accepted -------------------------------------------------------------------------------

def test_a_fresh_token_gives_its_client_number_and_uses_up_its_jti():
    guard = ReplayGuard()
    token = make_link_token("1001", secret=SECRET, now=NOW)
    assert verify_link(token, secret=SECRET, guard=guard, now=NOW + 5) == "1001"
    (jti,) = [jwt.decode(token, options={"verify_signature": False})["jti"]]
    assert jti in guard and len(guard) == 1


def test_the_hand_made_format_of_the_website_is_accepted():
    assert verify_link(craft(claims()), secret=SECRET, guard=ReplayGuard(), now=NOW) == "1001"
    no_typ = craft(claims(), header={"alg": "HS256"})
    assert verify_link(no_typ, secret=SECRET, guard=ReplayGuard(), now=NOW) == "1001"


def test_leading_zeros_and_surrounding_spaces():
    token = make_link_token("0042", secret=SECRET, now=NOW)
    assert verify_link(f" {token}\n", secret=SECRET, guard=ReplayGuard(), now=NOW) == "0042"


def test_an_audience_list_that_names_us_is_accepted():
    token = craft(claims(aud=["amper-connexion", "other"]))
    assert verify_link(token, secret=SECRET, guard=ReplayGuard(), now=NOW) == "1001"


def test_the_clock_leeway_is_thirty_seconds():
    token = make_link_token("1001", secret=SECRET, ttl=120, now=NOW)
    assert verify_link(token, secret=SECRET, guard=ReplayGuard(), now=NOW + 150) == "1001"
    assert verify_link(token, secret=SECRET, guard=ReplayGuard(), now=NOW - 30) == "1001"
    assert reason(token, now=NOW + 151) == "expired"
    assert reason(token, now=NOW - 31) == "expired"


def test_a_lifetime_of_exactly_300_seconds_is_accepted():
    token = make_link_token("1001", secret=SECRET, ttl=300, now=NOW)
    assert verify_link(token, secret=SECRET, guard=ReplayGuard(), now=NOW) == "1001"


# --- refused --------------------------------------------------------------------------------

def test_expired():
    token = make_link_token("1001", secret=SECRET, ttl=60, now=NOW - 600)
    assert reason(token) == "expired"


def test_not_yet_valid_counts_as_expired():
    assert reason(craft(claims(iat=int(NOW) + 60, exp=int(NOW) + 120))) == "expired"
    assert reason(craft(claims(nbf=int(NOW) + 60))) == "expired"


@pytest.mark.parametrize("ttl", [301, 3600, 10 ** 9])
def test_a_lifetime_over_300_seconds_is_refused(ttl):
    assert reason(make_link_token("1001", secret=SECRET, ttl=ttl, now=NOW)) == "too_long_lived"


@pytest.mark.parametrize("exp", [int(NOW), int(NOW) - 10])
def test_exp_not_after_iat_is_malformed(exp):
    assert reason(craft(claims(exp=exp))) == "malformed"


def test_wrong_secret():
    assert reason(make_link_token("1001", secret=OTHER, now=NOW)) == "signature"


def test_a_changed_claim_breaks_the_signature():
    header, _, signature = craft(claims()).split(".")
    forged = b64(json.dumps(claims(sub="2002")).encode())
    assert reason(f"{header}.{forged}.{signature}") == "signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg):
    assert reason(craft(claims(), header={"alg": alg, "typ": "JWT"}, signature="")) == "signature"
    assert reason(craft(claims(), header={"alg": alg})) == "signature"


def test_a_token_without_alg_is_refused():
    assert reason(craft(claims(), header={"typ": "JWT"})) == "signature"


def test_hs512_even_with_the_right_secret_is_refused():
    long_secret = SECRET * 2  # 64 bytes and more: PyJWT does not warn for HS512
    token = jwt.encode(claims(), long_secret, algorithm="HS512")
    assert reason(token, secret=long_secret) == "signature"
    assert reason(craft(claims(), header={"alg": "HS512"}, digest=hashlib.sha512)) == "signature"


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "EdDSA", "HS384"])
def test_algorithm_confusion_is_refused(alg):
    """An asymmetric alg in the header, HMAC-signed with the secret (or a public key)."""
    assert reason(craft(claims(), header={"alg": alg, "typ": "JWT"})) == "signature"


def test_odd_headers_are_malformed():
    assert reason(craft(claims(), header={"alg": "HS256", "typ": "JWE"})) == "malformed"
    assert reason(craft(claims(), header={"alg": "HS256", "crit": ["exp"]})) == "malformed"
    assert reason(craft(claims(), header={"alg": "HS256", "b64": False})) == "malformed"
    assert reason(craft(claims(), header={"alg": "HS256", "jku": "https://x/k"})) == "malformed"
    kid = craft(claims(), header={"alg": "HS256", "typ": "JWT", "kid": "amper-1"})
    assert verify_link(kid, secret=SECRET, guard=ReplayGuard(), now=NOW) == "1001"


@pytest.mark.parametrize("aud", ["amper", "amper-connexion ", "AMPER-CONNEXION", ["other"], [],
                                 None, 3])
def test_wrong_audience(aud):
    assert reason(craft(claims(aud=aud))) == "audience"


def test_missing_audience():
    assert reason(craft(claims(aud=...))) == "audience"


@pytest.mark.parametrize("sub", [..., "", "12a", "12 3", " 123", "١٢٣", "²", "-1", "1.5",
                                 1001, None, ["1001"], "1" * 41, "1001\n"])
def test_subject_must_be_a_string_of_ascii_digits(sub):
    assert reason(craft(claims(sub=sub))) == "subject"


@pytest.mark.parametrize("changes", [
    {"jti": ...}, {"jti": "short"}, {"jti": "x" * 129}, {"jti": 1234567890123456789},
    {"jti": "with spaces inside it"}, {"jti": "accentué-0123456789"},
    {"iat": ...}, {"exp": ...}, {"exp": "1800000120"}, {"exp": True}, {"iat": None},
    {"exp": 10 ** 30}, {"nbf": "soon"},
])
def test_missing_or_odd_claims_are_malformed(changes):
    assert reason(craft(claims(**changes))) == "malformed"


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b"\xff\xfe", b'"text"',
                                  b'{"sub": "1001", "sub": "2002"}'])
def test_a_signed_body_that_is_not_a_claims_object_is_malformed(body):
    assert reason(craft(raw=body)) == "malformed"


@pytest.mark.parametrize("token", ["", "   ", "abc", "a.b", "a.b.c.d", "!!!.###.$$$",
                                   "eyJ.eyJ.x", "é.é.é", None, b"a.b.c", 42])
def test_garbage_is_malformed(token):
    assert reason(token) == "malformed"


def test_a_token_over_2048_characters_is_refused_before_any_parsing(monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(link.jwt, "get_unverified_header", no_parsing)
    monkeypatch.setattr(link.jwt, "PyJWS", no_parsing)
    token = craft(claims(padding="x" * 2100))
    assert len(token) > 2048
    assert reason(token) == "malformed"


def test_replay_is_refused():
    guard = ReplayGuard()
    token = make_link_token("1001", secret=SECRET, now=NOW)
    verify_link(token, secret=SECRET, guard=guard, now=NOW)
    assert reason(token, guard=guard, now=NOW + 1) == "replayed"
    other = craft(claims(jti=jwt.decode(token, options={"verify_signature": False})["jti"]))
    assert reason(other, guard=guard, now=NOW + 2) == "replayed"  # same jti, new token


def test_a_refused_token_does_not_use_up_its_jti():
    guard = ReplayGuard()
    token = make_link_token("1001", secret=SECRET, now=NOW)
    assert reason(token, secret=OTHER, guard=guard) == "signature"
    assert reason(craft(claims(aud="x")), guard=guard) == "audience"
    assert len(guard) == 0
    assert verify_link(token, secret=SECRET, guard=guard, now=NOW) == "1001"


@pytest.mark.parametrize("secret", ["", "short", "x" * 31, None])
def test_a_secret_under_32_bytes_is_a_configuration_error(secret):
    with pytest.raises(ValueError):
        verify_link(craft(claims()), secret=secret, guard=ReplayGuard(), now=NOW)
    with pytest.raises(ValueError):
        make_link_token("1001", secret=secret)


# --- messages -------------------------------------------------------------------------------

def test_every_reason_has_a_short_french_sentence_that_explains_nothing_technical():
    for code in ("malformed", "signature", "expired", "too_long_lived", "replayed", "audience",
                 "subject", "unavailable"):
        sentence = LINK_MESSAGES[code]
        assert LinkError(code).message == sentence
        assert len(sentence) < 160 and "vous" in sentence.lower()
        for word in ("signature", "jeton", "JWT", "secret", "tu ", "ton ", "HS256"):
            assert word not in sentence
    assert LINK_MESSAGES["expired"] == ("Ce lien de connexion a expiré. Reconnectez-vous depuis "
                                        "le site d'AMPER.")
    assert LINK_MESSAGES["signature"] == LINK_MESSAGES["malformed"]


def test_an_unknown_reason_is_a_programming_error():
    with pytest.raises(ValueError):
        LinkError("nope")


# --- the guard ------------------------------------------------------------------------------

def test_verify_link_uses_the_guards_clock_by_default():
    clock = Clock(NOW + 1000)
    guard = ReplayGuard(clock=clock)
    token = make_link_token("1001", secret=SECRET, now=NOW)
    assert reason(token, guard=guard, now=None) == "expired"
    clock.now = NOW + 10
    assert verify_link(token, secret=SECRET, guard=guard) == "1001"


def test_the_guard_remembers_a_jti_until_its_expiry_then_forgets_it():
    clock = Clock()
    guard = ReplayGuard(clock=clock)
    guard.claim("jti-a", NOW + 100)
    clock.now = NOW + 100
    with pytest.raises(LinkError, match="replayed"):
        guard.claim("jti-a", NOW + 200)
    clock.now = NOW + 100.5
    guard.claim("jti-b", NOW + 400)
    assert "jti-a" not in guard and "jti-b" in guard


def test_a_full_guard_refuses_new_links_rather_than_forget_a_valid_jti():
    clock = Clock()
    guard = ReplayGuard(max_entries=2, clock=clock)
    guard.claim("jti-a", NOW + 100)
    guard.claim("jti-b", NOW + 200)
    with pytest.raises(LinkError) as refused:
        guard.claim("jti-c", NOW + 300)
    assert refused.value.reason == "unavailable"
    assert len(guard) == 2 and "jti-a" in guard and "jti-b" in guard
    with pytest.raises(LinkError, match="replayed"):
        guard.claim("jti-a", NOW + 100)
    clock.now = NOW + 150  # jti-a has expired: it makes room, jti-b stays
    guard.claim("jti-c", NOW + 300)
    assert "jti-a" not in guard and "jti-b" in guard and "jti-c" in guard


def test_a_full_guard_refuses_through_verify_link():
    guard = ReplayGuard(max_entries=1, clock=Clock())
    verify_link(make_link_token("1001", secret=SECRET, now=NOW), secret=SECRET, guard=guard)
    assert reason(make_link_token("1001", secret=SECRET, now=NOW), guard=guard) == "unavailable"


def test_the_guard_keeps_a_jti_for_the_leeway_after_exp():
    clock = Clock()
    guard = ReplayGuard(clock=clock)
    token = make_link_token("1001", secret=SECRET, ttl=60, now=NOW)
    verify_link(token, secret=SECRET, guard=guard)
    clock.now = NOW + 60 + 30  # still acceptable by the clock: must still be remembered
    guard.claim("another-jti-0123456789", NOW + 500)
    assert reason(token, guard=guard, now=None) == "replayed"


def test_the_guard_bound_must_be_positive():
    with pytest.raises(ValueError):
        ReplayGuard(max_entries=0)
