"""Periodic jobs, for `python manage.py rqcron cutouts.cron`."""

from django.conf import settings
from rq import cron

from cutouts import jobs

cron.register(jobs.sweep, "default", interval=settings.SWEEP_INTERVAL_SECONDS)
# Over-budget images go back in line when a new month begins.
cron.register(jobs.release_over_budget, "default", interval=settings.SWEEP_INTERVAL_SECONDS)
cron.register(jobs.sweep_studio, "default", interval=settings.SWEEP_INTERVAL_SECONDS)
cron.register(jobs.sweep_webhooks, "default", interval=settings.SWEEP_INTERVAL_SECONDS)
# Twice as often as the grace, so no delayed job is more than 1.5 times it late.
cron.register(
    jobs.enqueue_overdue, "default", interval=max(1, settings.SCHEDULED_JOB_GRACE_SECONDS // 2)
)
cron.register(jobs.check_pause, "default", interval=settings.CREDIT_RECHECK_SECONDS)
cron.register(jobs.refresh_credits, "default", interval=settings.CREDIT_REFRESH_SECONDS)
