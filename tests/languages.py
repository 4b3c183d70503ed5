"""The request headers of a client that reads the service's English messages (Swedish is the
default; tests that assert English text ask for English, as any client may)."""

ENGLISH = {"Accept-Language": "en"}

SWEDISH_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "sv_SE.UTF-8"}
"""The environment of a command run in a Swedish locale (``env=`` of CliRunner.invoke): the
command line prints in Swedish (every test runs in an English locale otherwise, tests/conftest.py)."""
