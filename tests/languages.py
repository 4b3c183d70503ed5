"""The request headers of a client that reads the service's English messages (Swedish is the
default; tests that assert English text ask for English, as any client may)."""

ENGLISH = {"Accept-Language": "en"}
