"""Helpers of the REST, spec, metrics and admin tests: an HTTP call, the test API key, and
JSON Schema validators built from the server's own OpenAPI and AsyncAPI documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

API_KEY = "test-api-key-0123456789"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def http(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, json=json_body, data=data, headers=headers) as response,
    ):
        return Reply(response.status, dict(response.headers), await response.read())


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


Validator = Callable[[str], jsonschema.protocols.Validator]


def validators(document: dict[str, Any], *, openapi: bool) -> Validator:
    """``make(name)``: a validator for ``#/components/schemas/<name>`` of ``document``."""
    spec = DRAFT202012 if openapi else DRAFT7
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=spec)
    )
    cls = jsonschema.Draft202012Validator if openapi else jsonschema.Draft7Validator

    def make(name: str) -> jsonschema.protocols.Validator:
        schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
        return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)

    return make
