"""Helpers of the REST, spec, metrics and admin tests: an HTTP call, the test API key, and
JSON Schema validators built from the server's own OpenAPI and AsyncAPI documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

from integration.support import HttpResult as Reply
from integration.support import http

__all__ = ["API_KEY", "Reply", "auth", "http", "validators"]

API_KEY = "test-api-key-0123456789"


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
