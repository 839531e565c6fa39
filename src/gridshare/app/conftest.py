"""Doctest collection of the app: page scripts and the entry point render when imported, so they
are run by their AppTest tests (tests/app/) instead of being imported here."""

collect_ignore_glob = ["views/*.py", "main.py"]
