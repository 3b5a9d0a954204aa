"""The paths table of the OpenAPI document against the routes the resource modules mount."""

from __future__ import annotations

from types import ModuleType

import pytest

from roomcast.http import (
    access,
    accounts,
    admin,
    broadcast,
    docs,
    files,
    health,
    me,
    messages,
    moderation,
    rooms,
    search,
    tokens,
    uploads,
)
from roomcast.http.app import ROUTES
from roomcast.http.specs.openapi import openapi_document
from roomcast.http.specs.paths import OPERATIONS
from roomcast.ops.config import Settings

RESOURCES = (
    access, accounts, admin, broadcast, docs, files, health, me, messages, moderation, rooms,
    search, tokens, uploads,
)  # fmt: skip
DOCUMENTED = {(op.method.upper(), op.path) for op in OPERATIONS}


def _routes(module: ModuleType) -> set[tuple[str, str]]:
    return {(route.method, route.path) for route in module.ROUTES}


@pytest.mark.parametrize("module", RESOURCES, ids=lambda m: m.__name__.rpartition(".")[2])
def test_every_route_of_a_resource_is_documented(module: ModuleType) -> None:
    assert _routes(module) <= DOCUMENTED


def test_every_documented_operation_is_mounted_by_the_app() -> None:
    mounted = {(route.method, route.path) for route in ROUTES}
    assert mounted >= DOCUMENTED
    assert set().union(*map(_routes, RESOURCES)) == DOCUMENTED


def test_each_operation_is_listed_once_under_a_unique_id() -> None:
    assert len(DOCUMENTED) == len(OPERATIONS)
    assert len({op.operation_id for op in OPERATIONS}) == len(OPERATIONS)


def test_the_document_has_each_operation_with_its_id() -> None:
    paths = openapi_document(Settings())["paths"]
    for op in OPERATIONS:
        assert paths[op.path][op.method]["operationId"] == op.operation_id
