import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from cutouts.accounts import services as accounts

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_racing_for_one_link_make_one_account(admin_user):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time, so there is no race to lose")
    _, token = accounts.invite_create(created_by=admin_user)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(username: str) -> None:
        start.wait()
        try:
            accounts.invite_accept(
                token=token, username=username, password="a fresh horse battery", email=""
            )
            outcomes.append("created")
        except accounts.InviteUnusable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("carol", "dave")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "refused"]
    assert get_user_model().objects.filter(username__in=["carol", "dave"]).count() == 1
