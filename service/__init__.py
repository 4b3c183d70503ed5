"""Web service, persistence and command line of Trygg stadskärna."""
