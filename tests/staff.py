"""Signing staff in, as the tests through the real app do: the password of the test accounts,
the CSRF token of a page's forms, and a sign-in on /login."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

PASSWORD = "rätt häst batteri häftklammer"
"""The password of every staff account the tests make."""


def form_token(page: str | httpx.Response) -> str:
    """The CSRF token in a page's forms (its hidden ``csrf_token`` field)."""
    text = page if isinstance(page, str) else page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def sign_in(client: TestClient, name: str = "anna", password: str = PASSWORD) -> httpx.Response:
    """Sign in on /login with the sign-in form's own token; the answer (303 when it worked)."""
    return client.post("/login", data={"name": name, "password": password, "csrf_token": form_token(client.get("/login"))})
