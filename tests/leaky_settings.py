"""The site's settings with tests.leaky_urls: for debug-page tests run in a real server."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "tests.leaky_urls"
