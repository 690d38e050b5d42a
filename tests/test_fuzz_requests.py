"""Random specs, form posts and query strings at every URL: never a 5xx, nothing left half-made.

Every URL the app routes is walked from the resolver, as
tests/test_authorization.py does, so a new one is fuzzed without a line here.
Path parameters are real ids of the objects built below, or junk of the
converter's shape. Pages are called by the owner and an admin signed in, the
team API with a personal token (who may call what is tests/test_authorization.py's
concern), each with GET and POST. Once the walk is over, every stored row must
still be one the app could have made, and every file in MEDIA_ROOT must belong
to a row.

Queued work never runs: the test's transaction never commits, so no job is
enqueued, and nothing here waits for a worker.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.urls.converters import IntConverter, SlugConverter
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from cutouts import urls as app_urls
from cutouts.accounts.services import invite_create
from cutouts.lib import compositor
from cutouts.lib.render_spec import SpecError, parse_spec, spec_from_json
from cutouts.models import Backdrop, Export, Image, Matte, Preset, Render, UploadBatch
from cutouts.studio import services as studio
from cutouts.teamapi import urls as api_urls
from cutouts.teamapi.tokens import token_create
from tests.images import image_bytes
from tests.studio_images import processed

pytestmark = pytest.mark.django_db
LIMITS = compositor.RenderLimits(max_pixels=50_000_000, max_upscale=10, max_effect_px=500)

# Walks of every URL (206 requests each), about 2,500 requests in all;
# 650 more with a spec or JSON body; 1,000 specs checked without a request.
EXAMPLES = {
    "walks": 12,
    "studio": 250,
    "presets": 150,
    "api": 250,
    "specs": 1000,
}
FUZZ = fuzz_settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    # Nothing written into the tree: each run draws afresh, and a failure
    # prints the @reproduce_failure line that replays it.
    database=None,
    print_blob=True,
)


# What to call: every named route of the app and the team API


def _routes(patterns: list) -> list[URLPattern]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append(pattern)
    return found


# Signing out would end the session the rest of the walk signs in with.
ROUTES = [
    route
    for route in _routes(app_urls.urlpatterns + api_urls.urlpatterns)
    if route.name != "logout"
]


# Junk: the inputs that crashed views before, and any text at all

UNICODE_DIGITS = ["²", "٣", "１", "߁", "𝟙", "Ⅻ", "½", "۹۹", "१"]
TRICKY = [
    *UNICODE_DIGITS,
    "",
    "0",
    "-1",
    "1.5",
    "1e999",
    "NaN",
    "Infinity",
    "null",
    "[]",
    "{}",
    "9" * 19,
    str(2**63),
    "9" * 400,
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "amazon-main",
    "team",
    "failed",
    "done",
    "\x00",
    "../../etc/passwd",
    "https://evil.example/",
]
FIELDS = [
    "ids",
    "batch",
    "page",
    "status",
    "start",
    "end",
    "days",
    "download",
    "next",
    "preset",
    "spec",
    "images",
    "image",
    "name",
    "email",
    "username",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "password1",
    "password2",
    "make_staff",
    "image_base64",
]
SPEC_KEYS = [
    *("background", "shadow", "edges", "framing", "output", "type", "color", "backdrop_id"),
    *("fit", "strength", "from", "to", "angle", "offset_x", "offset_y", "blur", "opacity"),
    *("spread", "shift", "feather", "decontaminate", "crop", "padding", "canvas", "aspect"),
    *("fill", "align", "format", "quality", "max_side", "linear_light"),
]
SPEC_WORDS = [
    *("transparent", "color", "image", "blur", "gradient", "none", "drop", "contact"),
    *("cover", "contain", "subject", "center", "bottom", "PNG", "WEBP", "JPEG", "jpg"),
    *("4:5", "0:0", "999:1", "#fff", "#12345g"),
]

huge_numbers = st.one_of(
    st.integers(-(10**25), 10**25),
    # Built from small draws: drawing a 4,000-digit integer digit by digit is slow.
    st.builds(
        lambda digits, sign: sign * 10**digits, st.integers(20, 4000), st.sampled_from([1, -1])
    ),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    huge_numbers,
    st.integers(-100, 20_001),
    st.sampled_from(SPEC_WORDS + UNICODE_DIGITS),
    st.text(max_size=10),
)
spec_keys = st.one_of(st.sampled_from(SPEC_KEYS), st.text(max_size=6))
# Shallow on purpose: st.recursive costs far more per example, and depth is
# covered by wrapping values in thousands of brackets below.
json_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(spec_keys, scalars, max_size=3),
    st.lists(st.lists(scalars, max_size=2), max_size=2),
)
# Shaped like a spec, so the checks past "is it an object" are reached too.
spec_shaped = st.dictionaries(
    st.sampled_from(["background", "shadow", "edges", "framing", "output"]),
    st.dictionaries(st.sampled_from(SPEC_KEYS), json_values, max_size=4),
    max_size=3,
)
spec_text = st.one_of(
    spec_shaped.map(json.dumps),
    json_values.map(json.dumps),
    st.builds(
        lambda depth, value: "[" * depth + json.dumps(value) + "]" * depth,
        st.integers(1, 5000),
        json_values,
    ),
    st.text(max_size=40),
    # Past the 4,300 digits Python's int() reads at all.
    st.integers(4300, 6000).map(lambda n: '{"edges": {"shift": 1' + "0" * n + "}}"),
)


@dataclass
class World:
    ids: list[int]  # of every object below, whatever its kind
    tokens: list[str]  # path parameters that are strings: invite and reset tokens


# URL arguments that are ids; the others are tokens.
ID_KWARGS = ("pk", "invite_id", "user_id")


@dataclass(frozen=True)
class Real:
    """The `index`th id or token of the World: strategies are built once, before it is."""

    index: int


real = st.integers(0, 6).map(Real)
# Numbers a person would read as ids, mixed with digits str.isdigit() takes and int() does not.
id_like = st.lists(st.sampled_from(["1", "2", ",", *UNICODE_DIGITS]), min_size=1, max_size=8)
junk_text = st.one_of(
    st.sampled_from(TRICKY),
    id_like.map("".join),
    st.text(max_size=30),
    huge_numbers.map(str),
    real,
    spec_text,
)
# Both ends of a period alike, as often as not: 9999-12-31 twice broke the dashboard.
dates = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "1999-12-31", "2026-02-30"]), st.dates().map(str)
)
day = st.shared(dates, key="day")
form_values = st.one_of(junk_text, st.lists(junk_text, max_size=2))
# Every field a view of ours reads, each there or not: a field of the route's
# own is as likely as any to be filled.
query_strings = st.fixed_dictionaries(
    {}, optional={**dict.fromkeys(FIELDS, junk_text), "start": day, "end": day | dates}
)
form_posts = st.fixed_dictionaries(
    {}, optional={**dict.fromkeys(FIELDS, form_values), "start": day, "end": day | dates}
)
int_paths = st.one_of(
    real, st.sampled_from([0, 2**31, 2**63 - 1, 2**63]).map(str), st.integers(0, 10**30).map(str)
)
slug_paths = st.one_of(st.just("team"), st.from_regex(r"[-a-zA-Z0-9_]{1,20}", fullmatch=True))
text_paths = st.one_of(
    st.integers(0, 2).map(Real),
    st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="/"), min_size=1, max_size=30
    ),
)


def _path_values(route: URLPattern) -> st.SearchStrategy[dict]:
    by_kind = {IntConverter: int_paths, SlugConverter: slug_paths}
    return st.fixed_dictionaries(
        {
            name: by_kind.get(type(converter), text_paths)
            for name, converter in route.pattern.converters.items()
        }
    )


UPLOADS = {"upload": "files", "backdrop_upload": "file", "api_alpha": "file", "api_cutout": "file"}
# A picture now and then, so what a valid upload stores is checked too (never
# to the team API, which would wait for processing that never runs here).
PICTURES = [image_bytes("JPEG", (24, 16)), image_bytes("PNG", (16, 24))]
pictures = st.sampled_from(PICTURES)
file_names = st.text(min_size=1, max_size=20)
uploads = st.tuples(file_names, st.binary(max_size=64))
picture_uploads = st.tuples(file_names, pictures)


# One payload, sent to every URL as each of its callers with GET and POST: a
# URL then meets as many junk fields as it would over hundreds of random picks.
payloads = st.fixed_dictionaries(
    {
        "query": query_strings,
        "form": form_posts,
        "upload": st.none() | uploads | picture_uploads,
        "json": st.none() | spec_text,
        "accept": st.sampled_from(["text/html", "application/json"]),
    }
)


def _resolved(value: object, pool: list) -> object:
    if isinstance(value, Real):
        return str(pool[value.index % len(pool)])
    if isinstance(value, list):
        return [_resolved(item, pool) for item in value]
    return value


# The objects the walk is given, and the clients it calls with


@pytest.fixture
def world(alice, admin_user, queue_redis) -> Iterator[World]:
    batch = UploadBatch.objects.create(owner=alice)
    image = processed(alice, batch=batch)
    render = studio.render_create(image=image, spec_or_preset="amazon-main", user=alice)
    studio.render_run(render_id=render.pk)
    export = studio.export_create(
        user=alice, images=Image.objects.filter(pk=image.pk), preset="webp-web"
    ).export
    for export_render in export.renders.all():
        studio.render_run(render_id=export_render.pk)
    studio.export_zip(export_id=export.pk)
    backdrop = studio.backdrop_upload(
        owner=alice, uploaded_file=SimpleUploadedFile("beach.jpg", image_bytes("JPEG"))
    )
    studio.preset_create(name="Team", spec={"output": {"format": "WEBP"}}, created_by=admin_user)
    invite, invite_token = invite_create(created_by=admin_user)
    token, _ = token_create(user=alice, name="walked")
    yield World(
        ids=[image.pk, batch.pk, render.pk, export.pk, backdrop.pk, invite.pk, token.pk],
        tokens=[
            invite_token,
            urlsafe_base64_encode(force_bytes(alice.pk)),
            default_token_generator.make_token(alice),
        ],
    )
    # Once, after the thousands of requests: checking after each would cost
    # more than the requests. A failure lists the rows and files to look at.
    assert inconsistencies() == []


@pytest.fixture
def call(world, alice, admin_user, settings) -> Callable[[dict], HttpResponse]:
    """Make one drawn request; the answer must not be a 5xx."""
    # The team API's processing calls and credit check answer at once, and
    # nothing is held back by a rate limit or a lockout.
    settings.MATTING_ENGINE = "local"
    settings.WITHOUTBG_BASE_URL = "http://127.0.0.1:9"
    settings.API_WAIT_SECONDS = 0.0
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = 0
    settings.LOGIN_FAILURE_LIMIT = 10**6
    # Sessions in memory: the walk is about the views, and a session read per
    # request from a busy test database doubles its time.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    clients = {"anonymous": Client(), "token": Client()}
    for actor, user in (("owner", alice), ("admin", admin_user)):
        clients[actor] = Client()
        clients[actor].force_login(user)
    raw_token = [token_create(user=alice, name="fuzz")[1]]

    def _call(request: dict) -> HttpResponse:
        actor = request["actor"]
        headers = {"accept": request["accept"]}
        if actor == "token":
            headers["X-API-Key"] = raw_token[0]
        kwargs = {
            name: _resolved(value, world.ids if name in ID_KWARGS else world.tokens)
            for name, value in request["kwargs"].items()
        }
        url = reverse(request["route"].name, kwargs=kwargs)
        query = {key: _resolved(value, world.ids) for key, value in request["query"].items()}
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        form = {key: _resolved(value, world.ids) for key, value in request["form"].items()}
        route_name = request["route"].name
        if request["upload"] is not None and route_name in UPLOADS:
            name, data = request["upload"]
            # Never a picture to the team API: it would wait for processing that never runs here.
            if not route_name.startswith("api") or data not in PICTURES:
                form[UPLOADS[route_name]] = SimpleUploadedFile(name, data)
        client = clients[actor]
        # A savepoint: a request that breaks the transaction fails alone.
        with transaction.atomic():
            if request["method"] == "get":
                response = client.get(url, headers=headers)
            elif request["json"] is not None and route_name.startswith("api"):
                response = client.post(
                    url, request["json"], content_type="application/json", headers=headers
                )
            else:
                response = client.post(url, form, headers=headers)
        assert response.status_code < 500, (url, request, response.content[:300])
        if actor == "token" and response.status_code == 401:
            # The walk revoked it (tokens/<pk>/revoke/ is walked too): a new one.
            raw_token[0] = token_create(user=alice, name="fuzz")[1]
        return response

    return _call


# What must hold after every request


def inconsistencies() -> list[str]:
    found = []
    for preset in Preset.objects.all():
        found += _spec_problems(f"preset {preset.slug}", preset.spec)
    for render in Render.objects.all():
        found += _spec_problems(f"render {render.pk}", render.spec)
        if render.status == Render.Status.DONE and not render.file:
            found.append(f"render {render.pk} is done without a file")
    for export in Export.objects.all():
        if export.renders.count() != export.total:
            found.append(f"export {export.pk} has {export.renders.count()} of {export.total}")
    return found + _unowned_files()


def _spec_problems(what: str, spec: dict) -> list[str]:
    try:
        checked = parse_spec(spec)
        compositor.check_cost(checked, studio.render_limits())
    except SpecError as error:
        return [f"{what} has a spec that cannot render: {error}"]
    return []


def _unowned_files() -> list[str]:
    root = Path(django_settings.MEDIA_ROOT)
    stored = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    fields = {
        Image: ["original", "thumbnail", "preview", "cutout_thumbnail"],
        Matte: ["file"],
        Render: ["file"],
        Backdrop: ["file"],
        Export: ["archive"],
    }
    owned = set()
    for model, names in fields.items():
        for values in model.objects.values_list(*names):
            owned |= {value for value in values if value}
    missing = [f"{name} is stored by a row but missing" for name in sorted(owned - stored)]
    return missing + [f"{name} belongs to no row" for name in sorted(stored - owned)]


# The walks


def _route(name: str) -> URLPattern:
    return next(route for route in ROUTES if route.name == name)


def _request(route: URLPattern, **given: object) -> dict:
    return {
        "route": route,
        "kwargs": {name: Real(0) for name in route.pattern.converters},  # the image
        "method": "post",
        "actor": "owner",
        "query": {},
        "form": {},
        "upload": None,
        "json": None,
        "accept": "application/json",
        **given,
    }


@fuzz_settings(FUZZ, max_examples=EXAMPLES["walks"])
@given(payload=payloads, data=st.data())
def test_random_requests_to_every_url_never_fail(call, payload, data):
    for route in ROUTES:
        kwargs = data.draw(_path_values(route), label=route.name)
        # The team API is called with a token; the pages signed in.
        actors = ["token"] if route.name.startswith("api_") else ["owner", "admin"]
        for actor in actors:
            for method in ("get", "post"):
                call(
                    {**payload, "route": route, "kwargs": kwargs, "actor": actor, "method": method}
                )


@fuzz_settings(FUZZ, max_examples=EXAMPLES["studio"])
@given(spec=spec_text, actor=st.sampled_from(["owner", "admin"]))
def test_random_specs_saved_in_the_studio_never_fail(call, spec, actor):
    call(_request(_route("image_renders"), actor=actor, form={"spec": spec}))


@fuzz_settings(FUZZ, max_examples=EXAMPLES["presets"])
@given(spec=spec_text, name=st.text(max_size=12))
def test_random_team_presets_never_fail(call, spec, name):
    call(_request(_route("preset_list"), actor="admin", form={"name": name, "spec": spec}))


@fuzz_settings(FUZZ, max_examples=EXAMPLES["api"])
@given(body=spec_text, route=st.sampled_from([r for r in ROUTES if r.name.startswith("api_")]))
def test_random_json_bodies_to_the_api_never_fail(call, body, route):
    call(_request(route, actor="token", json=body))


@fuzz_settings(FUZZ, max_examples=EXAMPLES["specs"])
@given(spec=spec_text)
def test_a_spec_is_either_refused_with_a_message_or_renders_within_the_limits(spec):
    try:
        checked = spec_from_json(spec)
        compositor.check_cost(checked, LIMITS)
    except SpecError as refusal:
        assert str(refusal)
    else:
        assert parse_spec(checked.to_json()) == checked
