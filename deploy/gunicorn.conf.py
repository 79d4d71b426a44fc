"""Gunicorn settings for the web unit: its own error and access lines go through Parcelfront's logging.

So ``LOG_FORMAT=json`` makes them JSON like every other line, and the access log's request paths have their
tracking tokens masked. Used as ``gunicorn -c deploy/gunicorn.conf.py config.wsgi``.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings

_gunicorn_loggers = {
    name: {"level": "INFO", "handlers": ["console"], "propagate": False}
    for name in ("gunicorn.error", "gunicorn.access")
}
logconfig_dict = {**settings.LOGGING, "loggers": {**settings.LOGGING.get("loggers", {}), **_gunicorn_loggers}}
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
