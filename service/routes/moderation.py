"""Moderation of citizens' reports by municipality staff: POST /api/reports/{id}/moderation, and
GET of a report's moderation for staff (:mod:`service.moderation`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from service.auth import STAFF, Caller, request_caller, request_role, require
from service.context import context
from service.moderation import moderate_report, moderation_state
from service.responses import ModerationFlags, ModerationState

router = APIRouter(tags=["reports"])


class ModerationChange(BaseModel):
    """A staff member's moderation of a report."""

    action: str = Field(max_length=20, description="hide_text, restore_text, hide_photo, restore_photo or release_text")
    reason: str = Field(max_length=500, description="why (kept in the report's moderation history, never public)")


@router.post("/api/reports/{report_id}/moderation",
             responses={200: {"model": ModerationFlags, "description": "The report's moderation has changed."}})
def moderate(request: Request, report_id: str, change: ModerationChange,
             caller: Caller | None = Depends(request_caller)) -> dict:
    """Municipality staff hide or restore a report's text (description) or photo (or Open311
    media_url), or release a text held for review, always with a reason. Hidden and held text and
    hidden photos leave every public answer (the layers and OGC APIs, Open311, the GIS package);
    staff read them here. Checked and written in one transaction: hiding what is hidden,
    restoring what is shown or releasing what is not held answers 409 with the current flags.
    Each change is a row of the report's moderation history (who, when, what, why)."""
    require(caller.role if caller else None, ("municipality",), "moderating a report")
    flags = moderate_report(context(request).store, report_id, change.action, change.reason, caller.actor)
    return {"id": report_id, **flags.as_dict()}


@router.get("/api/reports/{report_id}/moderation",
            responses={200: {"model": ModerationState, "description": "The report's moderation."}})
def moderation(request: Request, report_id: str, role: str | None = Depends(request_role)) -> dict:
    """A report's moderation, for staff: its text and photo as stored (also while withheld), the
    flags and the moderation history (who, when, what, why)."""
    require(role, STAFF, "a report's moderation")
    return moderation_state(context(request).store, report_id)
