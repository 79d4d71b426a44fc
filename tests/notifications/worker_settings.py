"""Settings of the real Celery worker the reliability tests start: the project's, sending to a fake ESP."""

import os

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": "test-token",
    "POSTMARK_API_URL": os.environ["FAKE_ESP_URL"],
    "REQUESTS_TIMEOUT": (2, float(os.environ.get("FAKE_ESP_READ_TIMEOUT", "3"))),
}
# Every key under a prefix of the test process: parallel test runs never take each other's tasks.
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": os.environ["PF_TEST_BROKER_PREFIX"]}
# Retries in tenths of a second so a test sees three of them quickly; production waits minutes.
NOTIFICATIONS_RETRY_BASE_SECONDS = 0.2
NOTIFICATIONS_RETRY_CAP_SECONDS = 1.0
