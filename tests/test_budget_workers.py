"""Budgets with real workers on the sandbox: a member stops at their budget without a single
extra charge, their images wait, the admins hear once, and a raise on the dashboard lets
the rest through, each image charged once."""

from collections import Counter

from django.db.models import Count, Q

from cutouts.models import ApiCall, BudgetNotice, Image, MemberBudget
from tests.images import product_photo
from tests.sandbox_fixtures import charges
from tests.uploading import upload
from tests.worker_fixtures import wait_until

PAID = Q(api_calls__charge__in=[ApiCall.Charge.CHARGED, ApiCall.Charge.MAYBE])
SUBJECT = "Subject: [Cutouts] alice is over their monthly budget"


def counts() -> Counter:
    return Counter(Image.objects.values_list("status", flat=True))


def paid_calls_per_image() -> list[int]:
    return list(
        Image.objects.annotate(paid=Count("api_calls", filter=PAID)).values_list("paid", flat=True)
    )


def test_a_member_over_budget_waits_then_is_released_when_an_admin_raises_it(
    workers, sandbox, alice, admin_user, admin_client_
):
    MemberBudget.objects.create(user=alice, monthly_credits=3)
    images = [upload(alice, f"p{seed}.jpg", product_photo(seed, (200, 150))) for seed in range(5)]

    workers.start(2)
    wait_until(
        lambda: counts() == {Image.Status.DONE: 3, Image.Status.OVER_BUDGET: 2},
        timeout=90,
        message=f"three done and two over budget, not {counts()}\n{workers.logs()[-3000:]}",
    )

    assert charges(sandbox) == 3
    waiting = Image.objects.filter(status=Image.Status.OVER_BUDGET)
    assert all(
        image.status_reason.startswith("Over your monthly budget (3 credits)") for image in waiting
    )
    wait_until(lambda: SUBJECT in workers.logs(), timeout=30, message="the admins' e-mail was sent")
    assert workers.logs().count(SUBJECT) == 1
    assert BudgetNotice.objects.filter(user=alice).count() == 1

    response = admin_client_.post(
        f"/dashboard/budgets/{alice.pk}/",
        {f"member-{alice.pk}-mode": "credits", f"member-{alice.pk}-monthly_credits": "10"},
    )

    assert response.status_code == 302
    wait_until(
        lambda: counts() == {Image.Status.DONE: 5},
        timeout=90,
        message=f"all five done, not {counts()}\n{workers.logs()[-3000:]}",
    )
    assert charges(sandbox) == 5
    assert paid_calls_per_image() == [1] * len(images)
    assert workers.logs().count(SUBJECT) == 1


def test_cache_hits_of_a_member_over_budget_are_still_done(workers, sandbox, alice, bob):
    MemberBudget.objects.create(user=alice, monthly_credits=0)
    photo = product_photo(7, (200, 150))
    upload(bob, "bobs.jpg", photo)
    workers.start(1)
    wait_until(
        lambda: Image.objects.filter(owner=bob, status=Image.Status.DONE).exists(),
        timeout=60,
        message=f"bob's photo done\n{workers.logs()[-3000:]}",
    )

    same = upload(alice, "same.jpg", photo)
    other = upload(alice, "other.jpg", product_photo(8, (200, 150)))

    wait_until(
        lambda: (
            Image.objects.get(pk=other.pk).status == Image.Status.OVER_BUDGET
            and Image.objects.get(pk=same.pk).status == Image.Status.DONE
        ),
        timeout=60,
        message=f"the copy done, the new one over budget: {counts()}\n{workers.logs()[-3000:]}",
    )
    assert charges(sandbox) == 1
