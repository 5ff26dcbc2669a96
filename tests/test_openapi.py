"""The served OpenAPI document against the hub's router: every API route and
method is described and nothing else is, every path parameter is declared,
every operation says what it answers, and every $ref resolves."""

from __future__ import annotations

import re

from bot.app import create_app
from bot.settings import Settings
from bot.web.openapi import document

METHODS = {"get", "post", "put", "patch", "delete"}


def routes():
    return {
        (route.method.lower(), route.resource.canonical)
        for route in create_app(Settings()).router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.resource.canonical != "/api/openapi.json"
        and route.method.lower() in METHODS
    }


def test_every_route_and_method_is_described_and_nothing_else():
    described = {(m, path) for path, ops in document()["paths"].items() for m in ops if m in METHODS}
    assert routes() - described == set(), "routes missing from bot/static/openapi.json"
    assert described - routes() == set(), "described operations the hub does not serve"


def test_every_operation_declares_its_path_parameters_and_responses():
    for path, operations in document()["paths"].items():
        wanted = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            declared = {p["name"] for p in operation.get("parameters", []) + operations.get("parameters", [])}
            assert wanted <= declared, (method, path, wanted - declared)
            assert operation.get("responses"), (method, path)


def test_every_reference_resolves():
    spec = document()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                target = spec
                for part in node["$ref"].removeprefix("#/").split("/"):
                    assert part in target, node["$ref"]
                    target = target[part]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def test_every_request_body_is_read_through_the_model_the_document_shows():
    """bot/web/bodies.py's BODIES is what the handlers read (statically: each
    handler's read(request, Model) call) and what the document's request
    schemas are generated from; no handler reads JSON any other way."""
    import ast
    from pathlib import Path

    from bot.web.bodies import BODIES

    read_by: dict = {}
    for path in sorted((Path(__file__).resolve().parent.parent / "bot" / "web").glob("*.py")):
        if path.name in ("bodies.py", "problems.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.AsyncFunctionDef):
                continue
            route = next(
                (
                    (d.func.attr, d.args[0].value)
                    for d in node.decorator_list
                    if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.args
                ),
                None,
            )
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    assert call.func.id != "json_object", f"{path.name}:{node.name} reads JSON without a model"
                    if call.func.id == "read" and route is not None:
                        read_by[route] = call.args[1].id
    assert read_by == {route: model.__name__ for route, model in BODIES.items()}
    spec = document()
    for (method, path), model in BODIES.items():
        schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}
        assert spec["components"]["schemas"][model.__name__]["properties"].keys() == model.model_fields.keys()


def test_every_route_has_the_model_of_its_reply():
    """bot/web/replies.py's REPLIES covers every API route; with CAROLINA_CHECK_REPLIES=1
    (set for the whole test suite) every reply is validated against it."""
    from bot.web.replies import REPLIES

    assert set(REPLIES) == routes()
    spec = document()
    for (method, path), model in REPLIES.items():
        for status, response in spec["paths"][path][method]["responses"].items():
            expected = model.__name__ if str(status).startswith("2") else "Problem"
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)
