"""The OpenAPI document's RenderSpec is the checker's own JSON Schema: what it allows renders."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cutouts.lib.render_spec import SpecError, parse_spec
from cutouts.teamapi.openapi import openapi_document

SCHEMAS = openapi_document(server_url="http://testserver/api", rate_limit=60, wait_seconds=30)[
    "components"
]["schemas"]
# What a JSON Schema cannot say, so the schema says it in words.
BEYOND_THE_SCHEMA = (
    "A canvas of",  # … is too large: at most 100 megapixels.
    "Choose a canvas size or an aspect ratio, not both.",
    "Aspect ratio must",  # no zero, from 1:10 to 10:1
)


def from_schema(node: dict[str, Any]) -> st.SearchStrategy:
    """Any JSON value the OpenAPI schema `node` allows (the parts RenderSpec's schema uses)."""
    if "$ref" in node:
        return from_schema(SCHEMAS[node["$ref"].removeprefix("#/components/schemas/")])
    if "oneOf" in node or "anyOf" in node:
        return st.one_of([from_schema(option) for option in node.get("oneOf", node.get("anyOf"))])
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node["type"]
    if kind == "object":
        properties = {name: from_schema(value) for name, value in node["properties"].items()}
        required = node.get("required", [])
        return st.fixed_dictionaries(
            {name: properties[name] for name in required},
            optional={name: value for name, value in properties.items() if name not in required},
        )
    if kind == "array":
        return st.tuples(*map(from_schema, node["prefixItems"])).map(list)
    if kind == "integer":
        return st.integers(node["minimum"], node.get("maximum"))
    if kind == "number":
        return st.floats(node["minimum"], node["maximum"])
    if kind == "string":
        return st.from_regex(node["pattern"], fullmatch=True)
    return {"boolean": st.booleans(), "null": st.none()}[kind]


def test_the_openapi_document_describes_render_specs_with_the_checkers_bounds():
    edges = SCHEMAS["Edges"]["properties"]
    background = SCHEMAS["RenderSpec"]["properties"]["background"]

    assert (edges["shift"]["minimum"], edges["shift"]["maximum"]) == (-50, 50)
    assert edges["shift"]["title"] == "Edge shift"
    assert SCHEMAS["Edges"]["additionalProperties"] is False
    assert background["discriminator"]["mapping"]["color"] == "#/components/schemas/ColorBackground"
    assert SCHEMAS["GradientBackground"]["properties"]["from"]["title"] == "Gradient start colour"


@settings(max_examples=300, deadline=None)
@given(spec=from_schema(SCHEMAS["RenderSpec"]))
def test_a_spec_valid_per_the_json_schema_round_trips(spec):
    try:
        checked = parse_spec(spec)
    except SpecError as refusal:
        assert str(refusal).startswith(BEYOND_THE_SCHEMA)
    else:
        assert parse_spec(checked.to_json()) == checked
