"""The languages the service answers in: Swedish by default, English when a client prefers it.

Messages are written in English in the code (:class:`geo.errors.Message`, the gettext msgid);
their Swedish translations are in ``locale/sv/LC_MESSAGES/stadskarna.po``, read with Babel when
first needed (no compiled catalogue is kept). Numbers in a message are written as the language
writes them (Swedish: decimal comma, :func:`geo.swedish.sv_number`).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from functools import cache
from io import BytesIO
from numbers import Integral
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from geo.errors import english_number
from geo.swedish import sv_number

DOMAIN = "stadskarna"
"""The gettext domain: the catalogue's file name."""

LOCALE_DIR = Path(__file__).parent / "locale"
"""Where the catalogues are, one folder per language (``sv/LC_MESSAGES/stadskarna.po``)."""

DEFAULT = "sv"
"""The language of every answer unless the client prefers English."""


def swedish_number(value: float) -> str:
    """A number in a Swedish message: :func:`geo.swedish.sv_number` (decimal comma, narrow no-break
    space between thousands), a whole number of at most four digits (a year, a limit) as it is."""
    return str(value) if isinstance(value, Integral) and abs(value) < 10_000 else sv_number(value)


NUMBERS: dict[str, Callable[[float], str]] = {"sv": swedish_number, "en": english_number}
"""The languages the service speaks, each with how it writes a number."""


def catalogue_path(language: str) -> Path:
    """The ``.po`` file of ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations into ``language`` (none for English, the language of the code)."""
    if language == "en":
        return gettext.NullTranslations()
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they stay English
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(accept_language: str | None) -> str:
    """The language to answer a request in from its ``Accept-Language`` header (q-values,
    regional tags such as ``sv-SE``, ``*`` for any other language): English when the client
    prefers it to Swedish, Swedish otherwise."""
    quality: dict[str, float] = {}
    anything = 0.0
    for item in (accept_language or "").split(","):
        tag, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        language = tag.lower().split("-")[0]
        if language == "*":
            anything = max(anything, q)
        elif language in NUMBERS:
            quality[language] = max(quality.get(language, 0.0), q)
    english, swedish = (quality.get(language, anything) for language in ("en", "sv"))
    return "en" if english > swedish else DEFAULT


def cli_language(environ: Mapping[str, str]) -> str:
    """The language of the command line, from the locale's environment as gettext reads it (the
    first set of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): Swedish for a Swedish locale
    (``sv_SE.UTF-8``), English, the language of the code, for any other (``C`` included)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            first = environ[name].split(":")[0]
            return "sv" if first.lower().split(".")[0].replace("-", "_").split("_")[0] == "sv" else "en"
    return "en"


def translate(message: str, language: str) -> str:
    """``message`` in ``language``: one that can render itself (a :class:`Message`, a
    :class:`ValidationError`, an invalid request's problems) rendered with the catalogue, any
    other text looked up in it as it is (English when it has no translation)."""
    gettext_of = translations(language).gettext
    render = getattr(message, "render", None)
    return render(gettext_of, NUMBERS[language]) if render is not None else gettext_of(message)
