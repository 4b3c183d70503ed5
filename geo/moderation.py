"""Moderation of citizens' reports, as FixMyStreet does it (pure rules, no storage).

*Reactive*: staff hide or restore a report's text or its photo, always with a reason.
*Pre-moderation*: a description holding a link (``http(s)://``, ``www.``, a bare domain such as
``example.se``, an e-mail address) or a word or phrase of the municipality's list is **held**: not
public until staff release it (or hide it). Everything else is public at once.

A report's :class:`Moderation` is three flags; :func:`moderate` gives the flags an action leaves,
or refuses the action with :class:`geo.errors.StateConflict` when the flags already are what it
asks (hiding what is hidden), so two staff members acting at once cannot both land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property

from linkify_it import LinkifyIt

from geo.errors import Message, StateConflict, ValidationError
from geo.text import clean_value

ACTIONS = ("hide_text", "restore_text", "hide_photo", "restore_photo", "release_text")
"""What staff can do to a report's text and photo."""
HOLD = "hold_text"
"""The action recorded in a report's history when its text is held on submission."""
MAX_REASON = 500
"""Characters of a moderation reason at most."""
EXTRA_TLDS = ("app", "online", "site", "top", "xyz")
"""Top-level domains recognised in bare domains beside linkify-it's own (the common generic ones and
every two-letter country code)."""

_LINKS = LinkifyIt().tlds(list(EXTRA_TLDS), True)


@dataclass(frozen=True)
class Moderation:
    """A report's moderation: its text hidden by staff, its photo hidden by staff, its text held
    for review on submission. The public sees the text when neither hidden nor held, the photo
    when not hidden."""

    text_hidden: bool = False
    photo_hidden: bool = False
    text_held: bool = False

    @property
    def text_public(self) -> bool:
        """Whether the public sees the description."""
        return not (self.text_hidden or self.text_held)

    def as_dict(self) -> dict[str, bool]:
        """The flags by name (the store's columns, the API's members)."""
        return {"text_hidden": self.text_hidden, "photo_hidden": self.photo_hidden, "text_held": self.text_held}


def moderate(action: str, current: Moderation, has_photo: bool) -> Moderation:
    """The flags ``action`` leaves on a report with ``current`` flags. :class:`ValidationError`
    for an unknown action; :class:`StateConflict` (with the current flags) for an action the state
    does not allow: hiding what is hidden, restoring what is shown, releasing a text not held,
    hiding a photo the report does not have. Hiding a held text ends the hold (it is decided)."""
    if action not in ACTIONS:
        raise ValidationError(Message("{action!r} is not one of {actions}", action=action, actions=", ".join(ACTIONS)),
                              field="action")
    state = current.as_dict() | {"has_photo": has_photo}
    refusals = {
        "hide_text": (Message("the text is hidden already"), current.text_hidden),
        "restore_text": (Message("the text is not hidden"), not current.text_hidden),
        "release_text": (Message("the text is not held for review"), not current.text_held),
        "hide_photo": (Message("the photo is hidden already") if current.photo_hidden
                       else Message("the report has no photo"), current.photo_hidden or not has_photo),
        "restore_photo": (Message("the photo is not hidden"), not current.photo_hidden),
    }
    message, refused = refusals[action]
    if refused:
        raise StateConflict(message, state)
    changes = {"hide_text": {"text_hidden": True, "text_held": False}, "restore_text": {"text_hidden": False},
               "release_text": {"text_held": False}, "hide_photo": {"photo_hidden": True},
               "restore_photo": {"photo_hidden": False}}
    return replace(current, **changes[action])


def checked_reason(reason: str | None) -> str:
    """A moderation reason as stored (the text rule of :mod:`geo.text`, trimmed);
    :class:`ValidationError` when empty or longer than :data:`MAX_REASON`."""
    cleaned = clean_value(reason or "", "reason").strip()
    if not cleaned:
        raise ValidationError(Message("a moderation needs a reason (for example 'personuppgifter')"), field="reason")
    if len(cleaned) > MAX_REASON:
        raise ValidationError(Message("the reason has {count} characters; at most {most} are accepted",
                                      count=len(cleaned), most=MAX_REASON),
                              field="reason")
    return cleaned


def word_list(text: str) -> tuple[str, ...]:
    """The words and phrases of a word list's text: one a line, blank lines and lines starting
    with ``#`` left out, surrounding space trimmed, a repeat (ignoring case) left out."""
    kept: dict[str, str] = {}
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            kept.setdefault(entry.casefold(), entry)
    return tuple(kept.values())


@dataclass(frozen=True)
class HoldRules:
    """What holds a description for review: any link, and the words and phrases of ``words``
    (whole words, any case; a phrase's words separated by any white space)."""

    words: tuple[str, ...] = ()

    @cached_property
    def _pattern(self) -> re.Pattern | None:
        """One expression of every listed word and phrase (the longest first), or None for none."""
        phrases = sorted(self.words, key=len, reverse=True)
        pattern = "|".join(r"\s+".join(re.escape(part) for part in phrase.split()) for phrase in phrases)
        return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE) if pattern else None

    def reason(self, description: str) -> str | None:
        """Why ``description`` is held, in Swedish for the staff who review it (the link or the
        listed word it holds), or None when it is public at once."""
        links = _LINKS.match(description) if description else None
        if links:
            return f"granskas: länk i texten ({links[0].text})"
        found = self._pattern.search(description) if self._pattern is not None and description else None
        if found:
            return f"granskas: ord i ordlistan ({found.group(0)})"
        return None
