"""The API's OpenAPI document with the HSDS schemas it names taken from ``tests/hsds`` (no network).

The shipped document refers to the compiled HSDS 3.0 schemas on GitHub; a fuzzer run by the tests must not
fetch them. Each such ``$ref`` becomes a reference to a component schema holding the local copy, and the copy's
own ``#/definitions/...`` references are moved under ``components/schemas`` with it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from welfarepoint.api.views import openapi_document

HSDS_DIR = Path(__file__).parent.parent / "hsds"
REMOTE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"
PREFIX = "hsds_"


def _hsds(name: str) -> dict[str, Any]:
    return json.loads((HSDS_DIR / name).read_text(encoding="utf-8"))


def _rewrite(node: Any) -> Any:
    """``#/definitions/x`` becomes ``#/components/schemas/hsds_x``; remote HSDS files become local components."""
    if isinstance(node, dict):
        rewritten = {key: _rewrite(value) for key, value in node.items()}
        reference = rewritten.get("$ref")
        if isinstance(reference, str):
            if reference.startswith("#/definitions/"):
                rewritten["$ref"] = (
                    "#/components/schemas/" + PREFIX + reference.removeprefix("#/definitions/")
                )
            elif reference.startswith(REMOTE):
                name = reference.removeprefix(REMOTE).removesuffix(".json")
                rewritten["$ref"] = "#/components/schemas/" + PREFIX + name
        return rewritten
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A compiled HSDS schema without its definitions and the keys JSON Schema does not know."""
    return {
        key: value
        for key, value in schema.items()
        if key
        not in {
            "definitions",
            "$schema",
            "$id",
            "name",
            "path",
            "core",
            "constraints",
            "datapackage_metadata",
            "tabular_required",
        }
    }


def local_openapi() -> dict[str, Any]:
    """The OpenAPI document of the API with every HSDS schema local."""
    document = _rewrite(copy.deepcopy(openapi_document()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    full = _hsds("service_with_definitions.json")
    for name, definition in full["definitions"].items():
        schemas[PREFIX + name] = _rewrite(_plain(definition))
    schemas[PREFIX + "service"] = _rewrite(_plain(full))
    schemas[PREFIX + "service_list"] = _rewrite(_plain(_hsds("service_list.json")))
    schemas[PREFIX + "organization_list"] = _rewrite(_plain(_hsds("organization_list.json")))
    return document
