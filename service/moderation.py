"""Moderation of citizens' reports (the rules are :mod:`geo.moderation`): the word list of the
settings, staff hiding, restoring and releasing a report's text or photo, and what staff see of
a report's moderation. The API and the staff pages use these functions alike.

A withheld text or photo is private data in the store: every public reading of a report (the
layers API, the OGC API, Open311, the GIS package, the report's page) gets no text while it is
hidden or held and no photo while it is hidden; only :func:`moderation_state` reads them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.errors import Message, ValidationError
from geo.layers import REPORTS
from geo.moderation import ACTIONS, HoldRules, Moderation, checked_reason, moderate, word_list
from geo.text import decode_utf8
from geo.timestamps import format_utc
from service.store import Actor, FeatureQuery, NotFound, Store


def hold_rules(words: Path | None) -> HoldRules:
    """What holds a description for review: links, and the words of the file ``words`` (UTF-8,
    one word or phrase a line; none when None). :class:`ValidationError` naming the file when it
    cannot be read or is not UTF-8."""
    if words is None:
        return HoldRules()
    try:
        data = Path(words).read_bytes()
    except OSError as exc:
        raise ValidationError(Message("cannot read the moderation word list: {strerror}", strerror=exc.strerror),
                              file=str(words)) from None
    return HoldRules(word_list(decode_utf8(data, file=str(words)).removeprefix("\ufeff")))


def moderate_report(store: Store, report_id: str, action: str, reason: str | None, actor: Actor,
                    now: pd.Timestamp | None = None) -> Moderation:
    """Hide or restore a report's text or photo, or release its held text (:data:`geo.moderation.ACTIONS`),
    with a reason, checked and written in one transaction and kept in its moderation history by
    ``actor``; the new flags. :class:`ValidationError` for an unknown action or a missing reason,
    the store's ``NotFound`` for an unknown id, ``StateConflict`` (with the current flags) for an
    action the state does not allow (hiding what is hidden)."""
    if action not in ACTIONS:
        raise ValidationError(Message("{action!r} is not one of {actions}", action=action, actions=", ".join(ACTIONS)),
                              field="action")
    cleaned = checked_reason(reason)
    return store.moderate_report(report_id, action, lambda current, has_photo: moderate(action, current, has_photo),
                                 cleaned, actor, now or pd.Timestamp.now(tz="UTC"))


def moderation_state(store: Store, report_id: str) -> dict:
    """What staff see of a report's moderation: ``id``, ``category``, its ``description`` and
    ``photo`` as stored (also while withheld), the flags ``text_hidden``, ``photo_hidden`` and
    ``text_held``, and its moderation ``history`` (action, reason, actor_role, actor_label, at as
    ISO 8601 UTC), oldest first. The store's ``NotFound`` for an unknown id."""
    found = store.read_features(REPORTS, include_private=True, query=FeatureQuery(ids=(report_id,)))
    if found.empty:
        raise NotFound(Message("no report {report_id!r}", report_id=report_id))
    report = found.iloc[0]
    history = store.moderation_history([report_id])
    return {"id": report["id"], "category": report["category"], "description": report["description"],
            "photo": report["photo"] if isinstance(report["photo"], str) else None,
            **store.moderation(report_id).as_dict(),
            "history": [{"action": action, "reason": reason, "actor_role": role, "actor_label": label, "at": at}
                        for action, reason, role, label, at in zip(
                            history["action"], history["reason"], history["actor_role"], history["actor_label"],
                            format_utc(history["at"]))]}


def held_reports(store: Store) -> list[dict]:
    """The reports whose text is held for review, the oldest first, as :func:`moderation_state` gives them."""
    return [moderation_state(store, report_id) for report_id in store.held_reports()]
