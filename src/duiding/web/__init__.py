"""The web UI: server-rendered pages over the archive (:mod:`duiding.web.routes`), its templates and
static files. Mounted by :func:`duiding.api.create_app`."""
