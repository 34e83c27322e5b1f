"""Runners execute a Pipeline over files: ``local`` (processes, the default)."""
