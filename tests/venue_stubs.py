"""Helpers for the accounts tests: venue answers stubbed at the HTTP transport.

Each venue folder under ``fixtures/venues/`` holds ``routes.json`` (method, path, optional
query or JSON-body match, fixture file) and one JSON file per answer:
``{"source": <venue docs page>, "note": <what was trimmed or added>, "body": <answer>}``.
ccxt's own code runs unmodified; only ``requests``' transport is replaced (``responses``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import responses
from responses import matchers

FIXTURES = Path(__file__).parent / "fixtures" / "venues"


def fixture(venue: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / venue / name).read_text())


def body(venue: str, name: str) -> Any:
    return fixture(venue, name)["body"]


def routes(venue: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / venue / "routes.json").read_text())


def stub_venue(rsps: responses.RequestsMock, venue: str, *, host: str | None = None,
               skip: tuple[str, ...] = ()) -> None:
    """Register every route of ``venue``. ``host`` (``http://127.0.0.1:9000``) pins the URL's
    scheme, host and port; without it any host matches the path."""
    for route in routes(venue):
        if route["path"] in skip:
            continue
        url: Any = ((host + route["path"]) if host
                    else re.compile(r"^https?://[^/]+" + re.escape(route["path"]) + r"(\?.*)?$"))
        match = []
        if "query" in route:
            match.append(matchers.query_param_matcher(route["query"], strict_match=False))
        if "json" in route:
            match.append(matchers.json_params_matcher(route["json"], strict_match=False))
        rsps.add(route["method"], url, json=body(venue, route["file"]), match=match)
