"""An upload far over the limit is refused from its Content-Length, before its body is read."""

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cutouts.models import Image
from tests.images import image_bytes
from tests.uploading import assert_nothing_stored
from tests.web_server import CSRF_TOKEN, signed_in_cookies, web_server

pytestmark = pytest.mark.django_db

GIGABYTE = 1024**3
BOUNDARY = "----cutouts-test-boundary"


def _multipart_start(field: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="huge.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + image_bytes("PNG")


def _post_declaring(client, path: str, length: int, *, accept: str, field: str = "files"):
    """POST a small body while claiming `length` bytes: reading past it fails the test."""
    return client.post(
        path,
        _multipart_start(field),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"accept": accept},
        CONTENT_LENGTH=str(length),
    )


def test_the_upload_script_hears_413_with_the_limit_in_words(alice_client):
    response = _post_declaring(alice_client, "/upload/", GIGABYTE, accept="application/json")

    assert response.status_code == 413
    assert response.json() == {"error": "This upload is 1024 MB; the limit is 10 MB a file."}
    assert_nothing_stored()


def test_the_form_without_javascript_gets_a_page_saying_so(alice_client):
    response = _post_declaring(alice_client, "/upload/", GIGABYTE, accept="text/html")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert (
        b"This upload is 1024 MB; the limit is 10 MB a file, 100 MB for the files sent at once."
        in response.content
    )
    assert_nothing_stored()


def test_the_form_without_javascript_may_send_several_files_at_once(alice_client):
    files = [SimpleUploadedFile(f"photo-{n}.png", image_bytes("PNG")) for n in range(3)]

    response = alice_client.post("/upload/", {"files": files})

    assert response.status_code == 302
    assert Image.objects.count() == 3


def test_a_script_upload_just_over_one_file_is_refused_unread(alice_client, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    length = 1024 * 1024 + 64 * 1024 + 1

    response = _post_declaring(alice_client, "/upload/", length, accept="application/json")

    assert response.status_code == 413
    assert response.json()["error"] == "This upload is 1.1 MB; the limit is 1 MB a file."


def test_a_backdrop_over_the_limit_is_refused_unread(alice_client):
    response = _post_declaring(
        alice_client, "/backdrops/", GIGABYTE, accept="application/json", field="file"
    )

    assert response.status_code == 413
    assert response.json() == {"error": "This upload is 1024 MB; the limit is 10 MB a file."}
    assert_nothing_stored()


def test_a_content_length_that_is_not_a_number_is_a_400(alice_client):
    response = alice_client.post(
        "/backdrops/",
        b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"accept": "application/json"},
        CONTENT_LENGTH="²",
    )

    assert response.status_code == 400
    assert response.json() == {"error": "The request's Content-Length is not a number of bytes."}


@pytest.mark.parametrize(("path", "field"), [("/upload/", "files"), ("/backdrops/", "file")])
def test_a_real_server_answers_before_the_body_of_a_gigabyte_upload_arrives(
    transactional_db, alice, tmp_path, path, field
):
    cookies = signed_in_cookies(alice)
    start = _multipart_start(field)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {GIGABYTE}\r\n"
        "Accept: application/json\r\n"
        f"X-CSRFToken: {CSRF_TOKEN}\r\n"
        f"Cookie: {'; '.join(f'{name}={value}' for name, value in cookies.items())}\r\n\r\n"
    ).encode()

    with (
        web_server(media_root=tmp_path / "media", log_dir=tmp_path) as server,
        socket.create_connection((server.host, server.port), timeout=30) as connection,
    ):
        # The headers and the first 64 KB of a gigabyte: a server that read the
        # body before answering would wait here for the rest, and time out.
        connection.sendall(head + start + bytes(64 * 1024 - len(start)))
        answer = _read_response(connection)

    status_line, _, body = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert body.endswith(b'{"error": "This upload is 1024 MB; the limit is 10 MB a file."}')
    assert_nothing_stored()


def _read_response(connection: socket.socket) -> bytes:
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += connection.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body
