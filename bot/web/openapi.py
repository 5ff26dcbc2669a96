"""GET /api/openapi.json: bot/static/openapi.json (the routes' descriptions and
responses) with what the code defines filled in: every request body's schema is
generated from its pydantic model (bot/web/bodies.py), every `x-vocabulary` node
gets the enum it names (common/vocabulary.yml), and the incident fields' schema
is built from the vocabulary's fields, so the document cannot disagree with what
the hub validates."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

from bot.domain.tickets import TEXT_LIMIT
from bot.web.bodies import BODIES
from bot.web.replies import REPLIES, Problem
from common.languages import LANGUAGES
from common.vocabulary import Vocabulary, vocabulary

SOURCE = Path(__file__).resolve().parent.parent / "static" / "openapi.json"


def enums(words: Vocabulary) -> Dict[str, List[str]]:
    return {
        "languages": list(LANGUAGES),
        "queues": list(words.queues),
        "statuses": list(words.statuses),
        "levels": list(words.levels),
        "criticalities": list(words.criticalities),
        "categories": list(words.ticket_categories),
    }


def incident_fields(words: Vocabulary) -> Dict[str, Any]:
    properties: Dict[str, Any] = {}
    for field in words.fields:
        if field.kind == "yesno":
            schema: Dict[str, Any] = {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": [words.unknown]}]}
        elif field.name == "category":
            schema = {"type": "string", "enum": [*words.ticket_categories, words.unknown]}
        elif field.kind == "choice":
            schema = {"type": "string", "enum": [*field.choices, words.unknown]}
        else:
            schema = {"type": "string", "maxLength": TEXT_LIMIT}
        properties[field.name] = {"anyOf": [schema, {"type": "null"}], "description": field.label["en"]}
    return {
        "type": "object",
        "description": "The incident fields a ticket carries (common/vocabulary.yml); creating a ticket needs summary.",
        "additionalProperties": False,
        "properties": properties,
    }


def fill(node: Any, names: Dict[str, List[str]]) -> None:
    if isinstance(node, dict):
        if "x-vocabulary" in node:
            node["enum"] = names[node["x-vocabulary"]]
        if "x-schema" in node:  # a body model's field whose schema is one of the document's own
            reference = "#/components/schemas/" + node.pop("x-schema")
            node.clear()
            node["$ref"] = reference
        for value in node.values():
            fill(value, names)
    elif isinstance(node, list):
        for value in node:
            fill(value, names)


@lru_cache(maxsize=1)
def _document() -> Dict[str, Any]:
    spec = json.loads(SOURCE.read_text(encoding="utf-8"))
    words = vocabulary()
    schemas = spec["components"]["schemas"]
    schemas["IncidentFields"] = incident_fields(words)
    for (method, path), model in BODIES.items():
        add_schema(schemas, model)
        body = spec["paths"][path][method].setdefault("requestBody", {"required": True})
        body["content"] = {"application/json": {"schema": reference(model)}}
    add_schema(schemas, Problem)
    for (method, path), reply in REPLIES.items():
        add_schema(schemas, reply)
        operation = spec["paths"][path][method]
        for status, response in operation.setdefault("responses", {}).items():
            shape = reply if str(status).startswith("2") else Problem
            response.setdefault("content", {})["application/json"] = {"schema": reference(shape)}
    fill(spec, enums(words))
    return spec


def reference(model: Any) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def add_schema(schemas: Dict[str, Any], model: Any) -> None:
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(generated.pop("$defs", {}))
    schemas[model.__name__] = generated


def document() -> Dict[str, Any]:
    return copy.deepcopy(_document())
