"""The domain model: derived fields, identity and validation messages."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from pydantic import ValidationError

from duiding.ingest.errors import describe_validation_error
from duiding.model import Article, EntityMention, Quote
from duiding.store.base import StoreError
from duiding.store.sqlite import SCHEMA_VERSION, SqliteStore

TEXT = (
    '"Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand", zegt Rusland-deskundige '
    "Tony van der Togt van Instituut Clingendael."
)


def test_derived_fields_from_url():
    a = Article(
        title="Belarussen willen geen oorlog",
        text=TEXT,
        url="https://NOS.nl/nieuwsuur/artikel/2448020-belarussen?utm_source=twitter#top",
    )
    assert a.outlet == "NOS"
    assert a.source_id == "2448020"
    assert a.id == "nos-2448020"
    assert a.canonical_url == "https://nos.nl/nieuwsuur/artikel/2448020-belarussen"
    assert a.identity == "url:https://nos.nl/nieuwsuur/artikel/2448020-belarussen"
    assert len(a.content_hash) == 64


def test_identity_falls_back_to_source_id_then_content():
    by_source = Article(title="T", text=TEXT, source_id="10591867")
    assert by_source.identity == "src::10591867" and by_source.id == "10591867"
    by_content = Article(title="T", text=TEXT)
    assert by_content.identity == "hash:" + by_content.content_hash
    # whitespace differences do not make a different article
    assert Article(title="T", text=TEXT.replace(" ", "  ")).content_hash == by_content.content_hash


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  ", "text": TEXT}, "missing title"),
        ({"title": "T", "text": "\n "}, "missing body text"),
        ({"title": "T", "text": TEXT, "published": datetime(2022, 10, 12, 7)}, "timezone-aware"),
        ({"title": "T", "text": TEXT, "url": "nos.nl/artikel/1"}, "not an http(s) URL"),
    ],
)
def test_validation_messages_are_clear(fields, message):
    with pytest.raises(ValidationError) as info:
        Article(**fields)
    assert message in describe_validation_error(info.value)


def test_annotations_must_match_the_text():
    start = TEXT.index("Tony van der Togt")
    ok = EntityMention(start=start, end=start + 17, text="Tony van der Togt", label="PER")
    Article(title="T", text=TEXT, entities=[ok])
    with pytest.raises(ValidationError, match="does not match"):
        Article(
            title="T",
            text=TEXT,
            entities=[
                ok.model_copy(update={"start": start + 1, "end": start + 18, "text": "Tony van der Togt"})
            ],
        )
    with pytest.raises(ValidationError, match="cover"):
        Quote(start=1, end=5, text="Loekasjenko", type="direct")


def test_quote_spec_record():
    q = Quote(
        start=1,
        end=64,
        text=TEXT[1:64],
        type="direct",
        speaker="Tony van der Togt",
        speaker_aliases=["Van der Togt"],
        cue="zegt",
        role="Rusland-deskundige",
        organisation="Instituut Clingendael",
        speaker_entity_id="e1",
    )
    assert list(q.to_spec()) == [
        "start",
        "end",
        "text",
        "type",
        "speaker",
        "speaker_aliases",
        "cue",
        "role",
        "organisation",
    ]


def test_store_migrates_and_refuses_newer_schema(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        SqliteStore(path)


def test_store_round_trips_annotations(tmp_path):
    start = TEXT.index("Tony van der Togt")
    article = Article(
        title="T",
        text=TEXT,
        url="https://nos.nl/artikel/2448020-x",
        entities=[
            EntityMention(
                start=start,
                end=start + 17,
                text="Tony van der Togt",
                label="PER",
                canonical="Tony van der Togt",
            )
        ],
        quotes=[
            Quote(
                start=1,
                end=64,
                text=TEXT[1:64],
                type="direct",
                speaker="Tony van der Togt",
                speaker_aliases=["Van der Togt"],
                cue="zegt",
            )
        ],
    )
    store = SqliteStore(tmp_path / "db.sqlite3")
    try:
        store.upsert([article])
        stored = store.get("nos-2448020")
        assert stored is not None
        assert stored.entities == article.entities and stored.quotes == article.quotes
    finally:
        store.close()
