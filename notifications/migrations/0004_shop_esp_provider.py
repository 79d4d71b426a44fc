"""A shop's own ESP becomes a provider from a fixed list with only its credential keys.

Rows that named any other backend, or carried any other key (``api_url`` above all: it sent the
platform's token wherever the shop pointed it), are cleared: that shop sends through the platform's
ESP from now on, and the log says which shop and why so its owner can be told to re-enter the keys.
"""

import logging
import secrets

from django.db import migrations, models

logger = logging.getLogger("notifications.migrations")

# Frozen copy of notifications.shop_esp as of this migration: backend path -> (provider, required, allowed).
PROVIDERS = {
    "anymail.backends.postmark.EmailBackend": ("postmark", {"server_token"}, {"server_token"}),
    "anymail.backends.mailgun.EmailBackend": (
        "mailgun",
        {"api_key", "webhook_signing_key"},
        {"api_key", "webhook_signing_key", "sender_domain", "region"},
    ),
    "anymail.backends.brevo.EmailBackend": ("brevo", {"api_key"}, {"api_key"}),
    "anymail.backends.mailjet.EmailBackend": ("mailjet", {"api_key", "secret_key"}, {"api_key", "secret_key"}),
    "anymail.backends.resend.EmailBackend": ("resend", {"api_key"}, {"api_key"}),
    "anymail.backends.sparkpost.EmailBackend": ("sparkpost", {"api_key"}, {"api_key", "region"}),
}
REGIONS = {"mailgun": {"us", "eu"}, "sparkpost": {"us", "eu"}}


def _why_not(backend: str, options: object) -> str | None:
    if backend not in PROVIDERS:
        return f"backend {backend!r} is not an allowed provider"
    provider, required, allowed = PROVIDERS[backend]
    if not isinstance(options, dict):
        return "options are not a JSON object"
    extra = sorted(set(options) - allowed)
    if extra:
        return f"options carry keys that are not {provider} credentials: {', '.join(extra)}"
    missing = sorted(key for key in required if not options.get(key))
    if missing:
        return f"{provider} credentials are missing {', '.join(missing)}"
    if any(not isinstance(value, str) for value in options.values()):
        return "credentials must be text"
    if "region" in options and options["region"] not in REGIONS.get(provider, set()):
        return f"region {options['region']!r} is unknown"
    return None


def forward(apps, schema_editor):
    settings_model = apps.get_model("notifications", "NotificationSettings")
    for row in settings_model.objects.exclude(esp_backend="", esp_secret_options={}):
        reason = _why_not(row.esp_backend, row.esp_secret_options) if row.esp_backend else "options without a backend"
        if reason is None:
            row.esp_provider = PROVIDERS[row.esp_backend][0]
            row.esp_webhook_token = secrets.token_urlsafe(32)
            row.esp_webhook_secret = secrets.token_urlsafe(32)
        else:
            logger.warning("shop %s: own ESP cleared, it now sends through the platform ESP (%s)", row.shop_id, reason)
            row.esp_provider, row.esp_secret_options = "", {}
        row.save(update_fields=["esp_provider", "esp_secret_options", "esp_webhook_token", "esp_webhook_secret"])


def backward(apps, schema_editor):
    settings_model = apps.get_model("notifications", "NotificationSettings")
    paths = {provider: path for path, (provider, _, _) in PROVIDERS.items()}
    for row in settings_model.objects.exclude(esp_provider=""):
        row.esp_backend = paths[row.esp_provider]
        row.save(update_fields=["esp_backend"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="notificationsettings",
            name="esp_provider",
            field=models.CharField(
                blank=True,
                choices=[
                    ("postmark", "Postmark"),
                    ("mailgun", "Mailgun"),
                    ("brevo", "Brevo"),
                    ("mailjet", "Mailjet"),
                    ("resend", "Resend"),
                    ("sparkpost", "SparkPost"),
                ],
                help_text="Optional: send this shop's emails through its own account at one of these providers.",
                max_length=20,
                verbose_name="own ESP",
            ),
        ),
        migrations.AddField(
            model_name="notificationsettings",
            name="esp_webhook_token",
            field=models.CharField(blank=True, editable=False, max_length=43, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="notificationsettings",
            name="esp_webhook_secret",
            field=models.CharField(blank=True, editable=False, max_length=43),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(
            model_name="notificationsettings",
            name="esp_backend",
        ),
        migrations.AlterField(
            model_name="notificationsettings",
            name="esp_secret_options",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Only the provider\'s credential keys, e.g. {"server_token": "..."} for Postmark (never exported).',
                verbose_name="ESP credentials",
            ),
        ),
    ]
