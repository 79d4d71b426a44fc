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
# SMS through a loopback fake gateway when a test names one (tests/notifications/sms/test_reliability_sms.py).
SMS_BACKEND = os.environ.get("FAKE_SMS_BACKEND", "outbox")
SMS_SMSAPI_BASE_URL = SMS_TWILIO_BASE_URL = os.environ.get("FAKE_SMS_URL", "http://127.0.0.1:9/")
SMS_SMSAPI_TOKEN = "test-token"
SMS_TWILIO_ACCOUNT_SID = "AC123"
SMS_TWILIO_AUTH_TOKEN = "test-token"
SMS_HTTP_TIMEOUT = (2.0, float(os.environ.get("FAKE_ESP_READ_TIMEOUT", "3")))
