"""The delay-apology campaign's ready-made words in a language: subject, heading, body, call to action.

The words are gettext messages (catalogs in locale/); the body is Markdown with the campaign's Jinja2
placeholders, which the marketer may edit once the campaign exists.
"""

from django.utils import translation
from django.utils.translation import gettext


def apology_content(language: str) -> tuple[str, str, str, str]:
    """(subject, heading, body Markdown, call to action) in ``language``."""
    with translation.override(language):
        return (
            gettext("Sorry your parcel is late"),
            gettext("Your parcel is running late — we're sorry"),
            gettext(
                "Hi {{ first_name }},\n\nthe parcel from order **{{ order_number }}** did not arrive on time. "
                "That is not the experience we want for you.\n\nAs an apology, here is a discount code for your "
                "next order — it is yours alone and works once."
            ),
            gettext("Back to the shop"),
        )
