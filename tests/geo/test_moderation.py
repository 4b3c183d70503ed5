"""What holds a description for review (links of every kind, whole listed words in any case) and
the moderation actions' rules, with hand-picked cases and hypothesis properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import StateConflict, ValidationError
from geo.moderation import ACTIONS, HoldRules, Moderation, checked_reason, moderate, word_list

LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ"
words = st.text(alphabet=LETTERS, min_size=1, max_size=12)
plain_text = st.lists(st.one_of(words, st.sampled_from(["t.ex.", "bl.a.", "s.k.", "kl. 12.30", "3,5 m", "nr 7"])),
                      max_size=12).map(" ".join)
"""Swedish-like text with the abbreviations and numbers a description has, and no link."""
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
links = st.one_of(
    st.builds(lambda s, h, t, p: f"http{s}://{h}.{t}/{p}", st.sampled_from(["", "s"]), hosts,
              st.sampled_from(["se", "com", "nu", "org", "xyz"]), st.from_regex(r"[a-z0-9/]{0,8}", fullmatch=True)),
    st.builds(lambda h, t: f"www.{h}.{t}", hosts, st.sampled_from(["se", "com", "net", "io"])),
    st.builds(lambda h, t: f"{h}.{t}", hosts, st.sampled_from(["se", "com", "nu", "dk", "info", "online"])),
    st.builds(lambda u, h: f"{u}@{h}.se", hosts, hosts))
"""Links as citizens write them: with a scheme, www., a bare domain, an e-mail address."""


@pytest.mark.parametrize("text", ["Se https://example.org/bild", "köp på www.butik.se nu", "besök example.se!",
                                  "HTTP://EXEMPEL.NU", "mejla anna@example.org", "räksmörgås.nu är bäst"])
def test_a_link_holds_the_text(text):
    assert HoldRules().reason(text).startswith("granskas: länk i texten")


@pytest.mark.parametrize("text", ["Klotter t.ex. på bänken, bl.a. s.k. tags", "Lampan vid nr 7 är släckt sedan kl. 21.30",
                                  "Skräp 3,5 m från fil.txt-skylten", ""])
def test_text_without_a_link_or_listed_word_is_public_at_once(text):
    assert HoldRules(("idiot", "dra åt helvete")).reason(text) is None


def test_listed_words_and_phrases_hold_whole_words_in_any_case():
    rules = HoldRules(word_list("# kommunens lista\nidiot\n\n  Dra   åt helvete \nIDIOT\n"))
    assert rules.words == ("idiot", "Dra   åt helvete")
    assert rules.reason("Vilken IDIOT som klottrat") == "granskas: ord i ordlistan (IDIOT)"
    assert rules.reason("dra åt\nhelvete") is not None, "a phrase's words may be apart by any white space"
    assert rules.reason("idioterna klottrar") is None and rules.reason("superidiot") is None, "whole words only"


@settings(max_examples=200, deadline=None)
@given(before=plain_text, link=links, after=plain_text)
def test_any_link_anywhere_holds_the_text(before, link, after):
    assert HoldRules().reason(f"{before} {link} {after}") is not None


@settings(max_examples=200, deadline=None)
@given(text=plain_text)
def test_text_without_links_is_never_held_for_a_link(text):
    assert HoldRules().reason(text) is None


@settings(max_examples=200, deadline=None)
@given(before=plain_text, word=words, after=plain_text, prefix=words, swap=st.booleans())
def test_a_listed_word_holds_only_as_a_whole_word(before, word, after, prefix, swap):
    rules = HoldRules((word,))
    shown = word.swapcase() if swap else word
    assert rules.reason(f"{before} {shown}, {after}") is not None
    inside = f"{prefix}{word}{prefix}"
    text = " ".join(t for t in (before, inside, after) if t)
    held = rules.reason(text)
    tokens = {token.casefold() for token in re.findall(r"\w+", text)}  # words: runs of letters and digits
    assert (held is not None) == (word.casefold() in tokens)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.booleans()), max_size=12), held=st.booleans())
def test_each_action_lands_once_and_an_action_the_state_does_not_allow_is_a_conflict(steps, held):
    state = Moderation(text_held=held)
    for action, has_photo in steps:
        model = {"hide_text": not state.text_hidden, "restore_text": state.text_hidden,
                 "release_text": state.text_held, "hide_photo": has_photo and not state.photo_hidden,
                 "restore_photo": state.photo_hidden}[action]
        if not model:
            with pytest.raises(StateConflict):
                moderate(action, state, has_photo)
            continue
        after = moderate(action, state, has_photo)
        if action == "hide_text":
            assert after.text_hidden and not after.text_held and not after.text_public
        if action in ("restore_text", "release_text"):
            assert after.text_public == (not after.text_hidden and not after.text_held)
        assert (after.photo_hidden != state.photo_hidden) == action.endswith("_photo")
        state = after


def test_an_unknown_action_and_a_missing_reason_are_invalid():
    with pytest.raises(ValidationError, match="hide_text"):
        moderate("delete", Moderation(), False)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError, match="reason"):
            checked_reason(reason)
    with pytest.raises(ValidationError, match="at most 500"):
        checked_reason("x" * 501)
    assert checked_reason("  personuppgifter\r\n") == "personuppgifter"
