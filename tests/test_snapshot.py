"""`duiding snapshot`: a consistent copy of the embedded archive, usable as a data directory."""

from __future__ import annotations

import json

from click.testing import CliRunner

from duiding.cli import main


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_snapshot_is_a_working_archive(tmp_path, sample_txt):
    db, copy = tmp_path / "data", tmp_path / "backup"
    assert invoke("ingest", sample_txt, "--db", db, "--json").exit_code == 0
    result = invoke("snapshot", copy, "--db", db)
    assert result.exit_code == 0, result.output
    assert "snapshot of 1 article" in result.stdout

    found = invoke("search", "Loekasjenko", "--db", copy, "--json")
    assert found.exit_code == 0, found.output
    assert [r["id"] for r in json.loads(found.stdout)["results"]] == ["nos-2448020"]
    original = json.loads(invoke("show", "nos-2448020", "--db", db, "--json").stdout)
    copied = json.loads(invoke("show", "nos-2448020", "--db", copy, "--json").stdout)
    assert copied == original and len(copied["quotes"]) > 0
    speaker = invoke("search", 'speaker:"Franka Hummels"', "--db", copy, "--json")
    assert [r["id"] for r in json.loads(speaker.stdout)["results"]] == ["nos-2448020"]


def test_snapshot_refuses_a_non_empty_destination(tmp_path, sample_txt):
    db, copy = tmp_path / "data", tmp_path / "backup"
    assert invoke("ingest", sample_txt, "--db", db, "--no-nlp").exit_code == 0
    copy.mkdir()
    (copy / "keep.txt").write_text("mine")
    result = invoke("snapshot", copy, "--db", db)
    assert result.exit_code != 0
    assert f"{copy}: exists and is not an empty directory" in result.output
    assert (copy / "keep.txt").read_text() == "mine"
    assert invoke("snapshot", db, "--db", db).exit_code != 0  # not onto itself
