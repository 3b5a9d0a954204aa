"""Machine-readable descriptions of roomcast's interfaces, built from the code's own limits.

``openapi_document`` describes the REST API (OpenAPI 3.1, served at ``/api/openapi.json``);
``asyncapi_document`` describes the WebSocket protocol (AsyncAPI 3.0, ``/api/asyncapi.json``).
"""

from __future__ import annotations

from roomcast.http.specs.asyncapi import asyncapi_document
from roomcast.http.specs.openapi import openapi_document

__all__ = ["asyncapi_document", "openapi_document"]
