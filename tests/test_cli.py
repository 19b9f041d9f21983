"""haven dev: what it sets up before serving."""

from __future__ import annotations

import os

import pytest

from haven import cli


def test_links_point_at_the_address_being_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAVEN_BASE_URL", raising=False)
    cli._serve_at("127.0.0.1:8102")
    assert os.environ["HAVEN_BASE_URL"] == "http://127.0.0.1:8102"


def test_a_base_url_given_by_the_operator_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAVEN_BASE_URL", "https://haven.example.org")
    cli._serve_at("127.0.0.1:8102")
    assert os.environ["HAVEN_BASE_URL"] == "https://haven.example.org"
