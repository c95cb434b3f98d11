"""Analysis over any search query: counts by time, outlet, category, entity, speaker, role, organisation,
gender and co-occurrence; entity and speaker profiles; streamed export.

The one place the CLI (``duiding stats``, ``duiding export``), the HTTP API and the web UI get their
figures from::

    from duiding.analysis import aggregate, entity_profile, speaker_profile, export
    aggregate(archive, "Belarus", "speaker")        # [Bucket(key, label, count, extra), ...]
"""

from __future__ import annotations

from duiding.analysis.aggregate import (
    BY,
    COUNTS,
    ENTITY_BY,
    TIME_BY,
    Bucket,
    NotFoundError,
    aggregate,
    entity_label,
    entity_profile,
    speaker_profile,
    time_buckets,
)
from duiding.analysis.export import COLUMNS, FORMATS, WHAT, export, format_for
from duiding.analysis.gender import GENDERS, gender_of

__all__ = [
    "BY",
    "COLUMNS",
    "COUNTS",
    "ENTITY_BY",
    "FORMATS",
    "GENDERS",
    "TIME_BY",
    "WHAT",
    "Bucket",
    "NotFoundError",
    "aggregate",
    "entity_label",
    "entity_profile",
    "export",
    "format_for",
    "gender_of",
    "speaker_profile",
    "time_buckets",
]
