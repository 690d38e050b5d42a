"""The OpenAPI 3.1 description of /api/, served at /api/openapi.json.

Written by hand, next to the views it describes (cutouts.teamapi.views.api and
cutouts.teamapi.views.api_v1); tests check that every API route appears here.
The render spec's schemas are the JSON Schema of the model that checks specs
(cutouts.lib.render_spec.RenderSpec), so the two cannot drift apart.
"""

from typing import Any

from cutouts.lib.render_spec import RenderSpec
from cutouts.lib.withoutbg import contract
from cutouts.models import Image

# What a webhook tells, by its type.
WEBHOOK_EVENTS = {
    "image.done": "The image is processed: its matte and cutout are ready.",
    "image.failed": "The image could not be processed: status_reason says why.",
    "render.ready": "The render of the preset sent with the image is ready to download.",
    "render.failed": "The render of the preset sent with the image failed: error says why.",
}

JSON = "application/json"
PNG = "image/png"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _binary(description: str, media_type: str = "application/octet-stream") -> dict[str, Any]:
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}},
    }


_ERROR_MEANINGS = {
    400: "Invalid JSON, a missing field or a malformed body.",
    401: f"Missing, unknown or revoked token (`{contract.INVALID_KEY}`).",
    402: "The team is out of credit, or your monthly budget is spent (the detail says which).",
    403: "The team's credits have expired.",
    404: "Not found, or not one of your images.",
    409: "The Idempotency-Key was sent before with another file, preset or webhook_url.",
    413: "The image is over the size limit (10 MB unless configured otherwise).",
    415: "Not a JPEG, PNG, WebP, TIFF, BMP or GIF image.",
    422: "Invalid base64, or a corrupt or empty image; `detail` may be a list.",
    429: "Over your token's per-minute limit (or the team's, for the credit check).",
    502: "Processing failed, or the vendor did not answer; `detail` says why.",
    503: "The team's withoutbg key was refused: processing is paused, an admin is told.",
    504: "Processing took longer than the wait limit; the image finishes in your library.",
}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(_ref("Error"), _ERROR_MEANINGS[status]) for status in statuses}


_PROCESSING_ERRORS = (400, 401, 402, 403, 413, 415, 422, 429, 502, 503, 504)
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _base64_call(summary: str, result_field: str, result: str) -> dict[str, Any]:
    return {
        "post": {
            "tags": ["withoutbg-compatible"],
            "summary": summary,
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Base64Image")}}},
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": [result_field],
                        "properties": {
                            result_field: {
                                "type": "string",
                                "contentEncoding": "base64",
                                "contentMediaType": PNG,
                                "description": result,
                            }
                        },
                    },
                    result,
                ),
                **_errors(*_PROCESSING_ERRORS),
            },
        }
    }


def _file_call(summary: str, result: str) -> dict[str, Any]:
    return {
        "post": {
            "tags": ["withoutbg-compatible"],
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": [contract.FILE_FIELD],
                            "properties": {
                                contract.FILE_FIELD: {
                                    "type": "string",
                                    "contentMediaType": "application/octet-stream",
                                }
                            },
                        }
                    }
                },
            },
            "responses": {"200": _binary(result, PNG), **_errors(*_PROCESSING_ERRORS)},
        }
    }


def _render_spec_schemas() -> dict[str, Any]:
    """RenderSpec and the settings it is made of, each a schema of its own."""
    schema = RenderSpec.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs"), "RenderSpec": schema}


def _get(summary: str, ok: dict[str, Any], *errors: int, **extra: Any) -> dict[str, Any]:
    return {
        "get": {
            "tags": ["cutouts"],
            "summary": summary,
            **extra,
            "responses": {"200": ok, **_errors(401, *errors, 429)},
        }
    }


def _submit_call() -> dict[str, Any]:
    form = {
        "type": "object",
        "required": [contract.FILE_FIELD],
        "properties": {
            contract.FILE_FIELD: {"type": "string", "contentMediaType": "application/octet-stream"},
            "preset": {"type": "string"},
            "webhook_url": {"type": "string", "format": "uri", "maxLength": 2000},
        },
    }
    return {
        "tags": ["cutouts"],
        "summary": "Send an image to process; answered at once (202), then poll or hear by webhook",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "schema": {"type": "string", "maxLength": 255},
                "description": "Send the same key again (a retry) and get the same image back.",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": form},
                JSON: {"schema": _ref("Submission")},
            },
        },
        "responses": {
            "202": {
                **_json(_ref("Image"), "Queued: its status URL (`url`) and expected finish."),
                "headers": {
                    "Location": {"schema": {"type": "string"}},
                    "Idempotent-Replayed": {
                        "schema": {"type": "string", "enum": ["true"]},
                        "description": "Present when this is the image of an earlier request.",
                    },
                },
            },
            **_errors(400, 401, 409, 413, 415, 422, 429, 503),
        },
    }


def _webhook(kind: str, meaning: str) -> dict[str, Any]:
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "post": {
            "summary": meaning,
            "description": _SIGNING,
            "parameters": [
                {**header, "name": "Cutouts-Event", "schema": {"type": "string", "enum": [kind]}},
                {**header, "name": "Cutouts-Delivery"},
                {**header, "name": "Cutouts-Timestamp"},
                {**header, "name": "Cutouts-Signature"},
            ],
            "requestBody": {"content": {JSON: {"schema": _ref("WebhookEvent")}}},
            "responses": {"2XX": {"description": "Received. Anything else is tried again."}},
        }
    }


_SIGNING = """Sent to the `webhook_url` given with the image. `Cutouts-Signature` is
`v1=` and the hex HMAC-SHA256 of `<Cutouts-Timestamp>.<raw body>` keyed with
your token's webhook secret (shown once, on the API tokens page). Check it,
and that the timestamp is recent, before trusting the body. Answer 2xx within
a few seconds; any other answer, a redirect or no answer is tried again with
growing pauses for a day. `Cutouts-Delivery` is the event's id: the same on
every try, so you can ignore one you have already handled.
"""

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": [contract.DETAIL_FIELD],
        "properties": {
            contract.DETAIL_FIELD: {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "loc": {"type": "array", "items": {"type": "string"}},
                                "msg": {"type": "string"},
                                "type": {"type": "string"},
                            },
                        },
                    },
                ]
            }
        },
    },
    "Base64Image": {
        "type": "object",
        "required": [contract.IMAGE_FIELD],
        "properties": {
            contract.IMAGE_FIELD: {
                "type": "string",
                "contentEncoding": "base64",
                "description": "The image, raw base64 without a data: prefix.",
            }
        },
    },
    "Credit": {
        "type": "object",
        "required": [contract.CREDIT_FIELD, contract.EXPIRATION_FIELD],
        "properties": {
            contract.CREDIT_FIELD: {
                "type": ["integer", "null"],
                "description": "The team's credits; null when processing is offline and free.",
            },
            contract.EXPIRATION_FIELD: {
                "type": ["string", "null"],
                "description": "UTC, as YYYY-MM-DD HH:MM:SS; null if none.",
                "examples": ["2026-09-05 23:59:59"],
            },
        },
    },
    "Image": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": Image.Status.values},
            "status_reason": {"type": "string"},
            "eta_seconds": {
                "type": ["integer", "null"],
                "description": "While it waits: seconds until it should be done; null when "
                "paused or over budget.",
            },
            "eta": {"type": "string", "examples": ["Done in about 12 min (by 16:42)"]},
            "engine": {
                "type": ["string", "null"],
                "description": "What made its matte, once made.",
                "examples": ["withoutbg", "local-u2netp"],
            },
            "preset": {
                "type": ["string", "null"],
                "description": "The preset asked for when it was sent to POST /images.",
            },
            "render": {
                "oneOf": [_ref("Render"), {"type": "null"}],
                "description": "That preset's render, once the image is done.",
            },
            "format": {"type": "string"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "byte_size": {"type": "integer"},
            "sha256": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "original_url": {"type": "string", "format": "uri"},
            "matte_url": {"type": ["string", "null"], "format": "uri"},
        },
    },
    "ImageDetail": {
        "allOf": [
            _ref("Image"),
            {
                "type": "object",
                "properties": {"renders": {"type": "array", "items": _ref("Render")}},
            },
        ]
    },
    "ImagePage": {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
            "results": {"type": "array", "items": _ref("Image")},
        },
    },
    "Render": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "image": {"type": "integer"},
            "preset": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "done", "failed"]},
            "error": {"type": "string"},
            "format": {"type": "string"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "byte_size": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "file_url": {"type": ["string", "null"], "format": "uri"},
        },
    },
    "Submission": {
        "type": "object",
        "required": [contract.IMAGE_FIELD],
        "properties": {
            contract.IMAGE_FIELD: {"type": "string", "contentEncoding": "base64"},
            "name": {"type": "string", "description": "A file name for your library."},
            "preset": {"type": "string", "description": "Render with it once done (a slug)."},
            "webhook_url": {"type": "string", "format": "uri", "maxLength": 2000},
        },
    },
    "Me": {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "token": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "prefix": {"type": "string"}},
            },
            "budget": {
                "type": "object",
                "properties": {
                    "monthly_credits": {"type": ["integer", "null"], "description": "null: none"},
                    "used": {"type": "integer", "description": "Credits used this month."},
                    "left": {"type": ["integer", "null"]},
                    "resets_at": {"type": "string", "format": "date-time"},
                    "source": {"type": "string", "enum": ["member", "team", "unlimited"]},
                },
            },
            "images": {
                "type": "object",
                "description": "Your images waiting, by status.",
                "additionalProperties": {"type": "integer"},
            },
        },
    },
    "WebhookEvent": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "examples": ["evt_42"]},
            "type": {"type": "string", "enum": list(WEBHOOK_EVENTS)},
            "created": {"type": "integer", "description": "Unix seconds."},
            "data": {
                "type": "object",
                "properties": {"image": _ref("Image"), "render": _ref("Render")},
            },
        },
    },
    "Preset": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "builtin": {"type": "boolean"},
        },
    },
    **_render_spec_schemas(),
}

_DESCRIPTION = """\
The team's background-removal API. The withoutbg-compatible calls take the
same requests and give the same answers as https://api.withoutbg.com: point
any withoutbg client at this server's base URL and use a personal token (made
in Cutouts under API tokens) as its `X-API-Key`. Each image goes through the
team's pipeline: it lands in your library, the same bytes twice cost one
credit, and the call waits for the result.

The `/cutouts/v1/` calls list and fetch your own images and make renders from
presets. A token only ever sees its own member's images. For many images,
`POST /cutouts/v1/images` answers at once (202) and the image waits its turn
in the team's fair line: poll its status URL, or give a `webhook_url` and
hear when it is done (see webhooks). An `Idempotency-Key` makes retries safe.

Every request counts against the token's per-minute limit; over it, 429.
Errors are JSON `{"detail": "..."}`.
"""


def openapi_document(*, server_url: str, rate_limit: int, wait_seconds: float) -> dict[str, Any]:
    """The document for a server whose API base is `server_url` (ending in /api)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cutouts API",
            "version": "1.0",
            "description": _DESCRIPTION
            + f"\nThis server: {rate_limit or 'no'} requests a minute per token; "
            f"processing calls wait up to {wait_seconds:g} s.",
        },
        "servers": [{"url": server_url}],
        "security": [{"ApiKey": []}],
        "tags": [
            {"name": "withoutbg-compatible", "description": "The vendor's API, unchanged."},
            {"name": "cutouts", "description": "Your library, for integrations."},
        ],
        "webhooks": {kind: _webhook(kind, meaning) for kind, meaning in WEBHOOK_EVENTS.items()},
        "components": {
            "securitySchemes": {
                "ApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": contract.API_KEY_HEADER,
                    "description": "A personal Cutouts token (cut_…).",
                }
            },
            "schemas": _SCHEMAS,
        },
        "paths": {
            contract.ALPHA_BASE64: _base64_call(
                "Alpha matte of a base64 image",
                contract.ALPHA_FIELD,
                "The matte as a base64 grayscale PNG, at the size of the image sent.",
            ),
            contract.CUTOUT_BASE64: _base64_call(
                "Background removed from a base64 image",
                contract.CUTOUT_FIELD,
                "The cutout as a base64 RGBA PNG, at the size of the image sent.",
            ),
            contract.ALPHA: _file_call(
                "Alpha matte of an uploaded image",
                "The matte as a grayscale PNG, at the size of the image sent.",
            ),
            contract.CUTOUT: _file_call(
                "Background removed from an uploaded image",
                "The cutout as an RGBA PNG, at the size of the image sent.",
            ),
            contract.CREDIT: {
                "get": {
                    "tags": ["withoutbg-compatible"],
                    "summary": "The team's credit balance",
                    "responses": {
                        "200": _json(_ref("Credit"), "The balance."),
                        **_errors(401, 429, 502, 503),
                    },
                }
            },
            "/cutouts/v1/images": {
                **_get(
                    "Your images, newest first",
                    _json(_ref("ImagePage"), "One page of your images."),
                    400,
                    404,
                    parameters=[
                        {
                            "name": "status",
                            "in": "query",
                            "schema": _SCHEMAS["Image"]["properties"]["status"],
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                ),
                "post": _submit_call(),
            },
            "/cutouts/v1/images/{id}": _get(
                "One image: status, sizes, links and renders",
                _json(_ref("ImageDetail"), "The image."),
                404,
                parameters=[_ID],
            ),
            "/cutouts/v1/images/{id}/original": _get(
                "Download the original, byte for byte",
                _binary("The original as uploaded."),
                404,
                parameters=[_ID],
            ),
            "/cutouts/v1/images/{id}/matte": _get(
                "Download the full-size matte",
                _binary("The matte, a grayscale PNG at the original's size.", PNG),
                404,
                parameters=[_ID],
            ),
            "/cutouts/v1/images/{id}/renders": {
                "post": {
                    "tags": ["cutouts"],
                    "summary": "Render the image with a preset (queued; poll the render)",
                    "parameters": [_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            JSON: {
                                "schema": {
                                    "type": "object",
                                    "required": ["preset"],
                                    "properties": {"preset": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": _json(_ref("Render"), "The render, queued."),
                        **_errors(400, 401, 404),
                        "429": _json(
                            _ref("Error"),
                            "Over your token's per-minute limit, or you have as many renders "
                            "on the way as you may: poll one until it has finished.",
                        ),
                    },
                }
            },
            "/cutouts/v1/renders/{id}": _get(
                "One render's status", _json(_ref("Render"), "The render."), 404, parameters=[_ID]
            ),
            "/cutouts/v1/renders/{id}/file": _get(
                "Download a finished render",
                _binary("The rendered file (PNG, JPEG or WebP)."),
                404,
                parameters=[_ID],
            ),
            "/cutouts/v1/me": _get(
                "Who the token is, and your credit budget this month",
                _json(_ref("Me"), "You."),
            ),
            "/cutouts/v1/presets": _get(
                "The presets renders can use",
                _json(
                    {
                        "type": "object",
                        "properties": {"results": {"type": "array", "items": _ref("Preset")}},
                    },
                    "Built-in presets, then the team's.",
                ),
            ),
        },
    }
