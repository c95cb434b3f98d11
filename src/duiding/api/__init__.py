"""The HTTP API and the web UI (FastAPI): ``create_app(archive_path)``; ``duiding serve`` runs it."""

from __future__ import annotations

from duiding.api.app import create_app, is_loopback

__all__ = ["create_app", "is_loopback"]
