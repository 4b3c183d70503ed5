"""Text from citizens and files: one rule for what a stored text may contain, and strict UTF-8.

Every text field of every layer (ids, free text, categories — see :func:`geo.layers.validate`)
goes through :func:`clean_text`:

- line ends are normalised: CRLF, a lone CR and the Unicode LINE and PARAGRAPH SEPARATORS
  (U+2028, U+2029) become LF;
- the text is normalised to Unicode NFC, so "e" + COMBINING ACUTE ACCENT is stored as "é" and
  texts that look the same compare the same (NFC text stays exactly as it is);
- a text containing a character that can hide or disguise what is shown is refused: the control
  characters other than TAB and LF (C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F — they can
  truncate text in C libraries, move the cursor or recolour a terminal, or break CSV and logs), the
  bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 —
  "Trojan Source": they make text read differently from what it is), the invisible ZERO WIDTH
  SPACE, WORD JOINER, invisible operators, MONGOLIAN VOWEL SEPARATOR and ZERO WIDTH NO-BREAK SPACE
  (U+200B, U+2060–U+2064, U+180E, U+FEFF: they make two texts that look the same differ) and lone surrogates (not characters at all; they cannot be written
  as UTF-8). The zero-width joiners U+200C and U+200D stay: scripts and emoji sequences need them.

:func:`decode_utf8` turns bytes (a form field, a file) into text or refuses them; nothing is
silently replaced with U+FFFD.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from geo.errors import Message, ValidationError

_C0_NAMES = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
             "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US").split()
_C1_NAMES = ("PAD HOP BPH NBH IND NEL SSA ESA HTS HTJ VTS PLD PLU RI SS2 SS3 "
             "DCS PU1 PU2 STS CCH MW SPA EPA SOS SGCI SCI CSI ST OSC PM APC").split()
CONTROL_NAMES = {**{chr(i): name for i, name in enumerate(_C0_NAMES)}, "\x7f": "DEL",
                 **{chr(0x80 + i): name for i, name in enumerate(_C1_NAMES)}}
"""Short names of the C0 and C1 control characters and DEL (ISO 6429), for messages."""

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u180e\u200b\u2060-\u2064\ufeff"
_SURROGATES = "\ud800-\udfff"
FORBIDDEN = re.compile(f"[{_CONTROLS}{_BIDI}{_INVISIBLE}{_SURROGATES}]")
"""The characters no stored text may contain (a character class; TAB and LF are allowed)."""
_FORBIDDEN_IN_UNICODE = re.compile(f"[{_CONTROLS}{_BIDI}{_INVISIBLE}]")
"""The same without surrogates, for text already held as UTF-8 (Arrow), where none can be."""
_LINE_ENDS = "\r\n?|[\u2028\u2029]"
_SUSPECT = re.compile(f"{_FORBIDDEN_IN_UNICODE.pattern}|[\u2028\u2029]")
"""What makes a text worth a closer look: a forbidden character, CR or a Unicode line end."""
_SURROGATE = re.compile(f"[{_SURROGATES}]")


def clean_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The stored form of each text in ``values``, and a problem message for each refused one.

    ``values`` may hold text of any pandas dtype (non-text values such as numbers are taken as
    their ``str``). Returns ``(text, problems)``, both indexed like ``values`` and neither changing
    it: ``text`` as pandas' string dtype, with CRLF and lone CR turned into LF and normalised to
    NFC (missing values stay missing); ``problems`` None where the text is fine, else a message such
    as ``"contains the control character U+0000 (NUL); remove it"`` naming the first forbidden
    character (see :data:`FORBIDDEN`). Vectorised over the Series; the messages are built once per
    distinct character.
    """
    problems = pd.Series(None, index=values.index, dtype=object)
    surrogates = _has_surrogate(values)
    if surrogates is not None and surrogates.any():
        # Arrow strings are UTF-8 and cannot hold a lone surrogate: report and blank it before converting
        first = values[surrogates].str.extract(f"({_SURROGATE.pattern})", expand=False)
        problems[surrogates] = first.map(_problem).to_numpy()
        values = values.mask(surrogates, "")
    text = values.astype("string")
    if len(text) >= 10_000 and not (surrogates is not None and surrogates.any()):
        distinct = pd.Series(text.unique(), dtype="string")
        if 4 * len(distinct) < len(text):  # few distinct values (a unit, a mode, a source): check those
            cleaned, problems_of_distinct = clean_text(distinct)
            if problems_of_distinct.isna().all() and cleaned.equals(distinct):
                return text, problems
    suspect = text.str.contains(_SUSPECT.pattern, na=False).astype(bool)
    if suspect.any():  # CR is a control character: one pass finds the texts to look at for most text
        lines = text[suspect].str.replace(_LINE_ENDS, "\n", regex=True)
        text = text.copy()
        text[suspect] = lines.to_numpy()
        bad = suspect.copy()
        bad[suspect] = lines.str.contains(_FORBIDDEN_IN_UNICODE, na=False).astype(bool).to_numpy()
        if bad.any():
            found = text[bad].str.extract(f"({_FORBIDDEN_IN_UNICODE.pattern})", expand=False)
            problems[bad] = found.map({char: _problem(char) for char in found.unique()}).to_numpy()
    composed = ~text.str.isascii().fillna(True).astype(bool)  # ASCII text is NFC already
    if composed.any():
        text = text.copy()
        text[composed] = text[composed].str.normalize("NFC").to_numpy()
    return text, problems.astype(object).where(problems.notna(), None)


def clean_one(value: object) -> tuple[str | None, Message | None]:
    """One value as :func:`clean_text` stores it (None when missing) and its problem (None when
    fine): the same rule without pandas, for a few values (one form, one record)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None, None
    text = value if isinstance(value, str) else str(value)
    if (surrogate := _SURROGATE.search(text)) is not None:
        return None, _problem(surrogate.group())
    if _SUSPECT.search(text):
        text = re.sub(_LINE_ENDS, "\n", text)
        if (found := _FORBIDDEN_IN_UNICODE.search(text)) is not None:
            return None, _problem(found.group())
    return (text if text.isascii() else unicodedata.normalize("NFC", text)), None


def clean_value(value: str, field: str) -> str:
    """One text as :func:`clean_text` stores it, or :class:`ValidationError` naming ``field``."""
    text, problem = clean_one(value)
    if problem is not None:
        raise ValidationError(problem, field=field)
    return "" if text is None else text


def decode_utf8(data: bytes, field: str | None = None, *, file: str | None = None) -> str:
    """``data`` decoded as UTF-8, or :class:`ValidationError` (naming ``field`` and ``file``) when it
    is not valid UTF-8 — never a text with U+FFFD in place of the bad bytes. A leading byte order
    mark is kept (files' readers decide about it)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = " ".join(f"0x{byte:02X}" for byte in data[exc.start:exc.end])
        raise ValidationError(Message("not valid UTF-8 ({reason}: {bytes} at byte {position}); save or send the text "
                                      "as UTF-8", reason=exc.reason, bytes=bad, position=exc.start + 1),
                              file=file, field=field) from None


def _has_surrogate(values: pd.Series) -> pd.Series | None:
    """Which values are Python strings holding a lone surrogate; None when there can be none."""
    dtype = values.dtype
    if not (dtype == object or (isinstance(dtype, pd.StringDtype) and dtype.storage == "python")):
        return None
    try:
        found = values.str.contains(_SURROGATE, na=False)
    except AttributeError:  # an object column without any strings (numbers, booleans, None)
        return None
    return found.fillna(False).astype(bool)


def _problem(char: str) -> Message:
    code = f"U+{ord(char):04X}"
    if char in CONTROL_NAMES:
        return Message("contains the control character {code} ({name}); remove it", code=code,
                       name=CONTROL_NAMES[char])
    if _SURROGATE.match(char):
        return Message("contains {code}, a lone surrogate: not a character, and not valid Unicode text; remove it",
                       code=code)
    if re.fullmatch(f"[{_INVISIBLE}]", char):
        return Message("contains the invisible character {code} ({name}), which makes texts that look the same "
                       "differ; remove it", code=code, name=unicodedata.name(char))
    return Message("contains the bidirectional formatting character {code} ({name}), which can make text read "
                   "differently from what it is; remove it", code=code, name=unicodedata.name(char))
