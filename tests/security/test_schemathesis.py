"""Schemathesis against the real app over a database full of hostile text: for every operation of
the OpenAPI document, generated requests (valid and invalid, bounded in number) never get a 5xx,
and every answer has a documented status, content type, headers and body — anonymous, and with a
police and a municipality token.

Left out is schemathesis' "positive data acceptance" check: the API refuses requests that fit
the schema but not the data (a follow-up date outside its year, a point outside the centre), as
it should, and that check counts those as failures."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.app import create_app
from service.auth import create_token
from service.settings import ReportSettings
from tests.security.hostile import hostile_world

EXAMPLES = 10
"""Examples per operation and caller: with three callers and 27 operations, about a minute."""


def _app():
    """The app over the hostile world, in a folder removed when the test process ends (the schema
    is read when the module is collected, so this is built then, not in a fixture)."""
    folder = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    world = hostile_world(folder)
    unlimited = {"reports": ReportSettings(rate_limit=1_000_000),
                 "service": world.service.model_copy(update={"what_if_rate_limit": 1_000_000})}
    return create_app(world.model_copy(update=unlimited))


APP = _app()
TOKENS = {role: create_token(APP.state.context.store, role, f"schemathesis {role}") for role in ("police", "municipality")}
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def call_and_validate(case, token: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])


@schema.parametrize()
@BOUNDED
def test_anonymous_callers_get_documented_answers_and_no_server_error(case):
    call_and_validate(case)


@schema.parametrize()
@BOUNDED
def test_police_tokens_get_documented_answers_and_no_server_error(case):
    call_and_validate(case, TOKENS["police"])


@schema.parametrize()
@BOUNDED
def test_municipality_tokens_get_documented_answers_and_no_server_error(case):
    call_and_validate(case, TOKENS["municipality"])
