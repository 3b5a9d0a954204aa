"""The OpenAPI document generated from the body Structs and the paths table, and the AsyncAPI
document, as served; every route of the application is documented and nothing else is."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from aiohttp.test_utils import TestClient

from roomcast.http import bodies
from roomcast.http.app import ROUTES
from roomcast.http.specs import openapi_document
from roomcast.ops.config import Settings


def test_every_route_is_documented_and_only_those() -> None:
    documented = {
        (path, method)
        for path, item in openapi_document(Settings())["paths"].items()
        for method in item
    }
    routed = {(route.path, route.method.lower()) for route in ROUTES}
    assert documented == routed


def test_component_schemas_come_from_the_structs() -> None:
    schemas = openapi_document(Settings(max_text_chars=123))["components"]["schemas"]
    assert schemas["NewMessage"]["properties"]["text"]["maxLength"] == 123
    assert schemas["Broadcast"]["properties"]["text"]["maxLength"] == 123
    assert schemas["NewMessage"]["required"] == ["text"]
    assert schemas["NewMessage"]["additionalProperties"] is False
    assert schemas["Moderation"]["properties"]["duration"]["maximum"] == 10 * 365 * 24 * 3600
    assert schemas["RoomName"]["maxLength"] == 64
    assert schemas["RoomList"]["description"] == bodies.RoomList.__doc__
    assert "rate_limited" in schemas["ErrorDetail"]["properties"]["code"]["description"]
    for name in schemas:
        jsonschema.Draft202012Validator.check_schema(schemas[name])


@pytest.mark.parametrize("document", ["openapi", "asyncapi"])
async def test_documents_are_served(client: TestClient[Any, Any], document: str) -> None:
    reply = await client.get(f"/api/{document}.json")
    assert reply.status == 200
    body = await reply.json()
    assert body.get("openapi", body.get("asyncapi", "")).startswith("3.")
