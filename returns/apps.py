from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self) -> None:
        from notifications.returns_link import return_link_source_register
        from returns.selectors import delivered_email_return_link

        # notifications (below us) puts the signed portal link into the delivered email through this source.
        return_link_source_register(source=delivered_email_return_link)
