"""Full-text search: Lucene-syntax queries (:mod:`.query`) run on a tantivy index keyed by ``seq``."""

from duiding.search.index import SCHEMA_VERSION, SearchIndex
from duiding.search.query import FIELDS, ParsedQuery, QuerySyntaxError, caret, parse_query

__all__ = [
    "FIELDS",
    "SCHEMA_VERSION",
    "ParsedQuery",
    "QuerySyntaxError",
    "SearchIndex",
    "caret",
    "parse_query",
]
