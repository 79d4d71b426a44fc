"""What the customer reads about an open incident (email and tracking page), in their language, from one place."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext

from watchlist.models import IncidentType


@dataclass(frozen=True)
class Explanation:
    """A short headline and a sentence or two saying what happens and what to do."""

    headline: str
    body: str


def incident_explanation(
    *, incident_type: str, language: str, collect_by: str = "", point: str = "", expired: bool = False
) -> Explanation:
    """The words for ``incident_type`` in ``language``; ``collect_by`` is a formatted day for the pickup deadline,
    ``expired`` says that day has passed."""
    with translation.override(language):
        if incident_type == IncidentType.PICKUP_DEADLINE and expired:
            return Explanation(
                gettext("The time to collect your parcel has run out"),
                gettext("The parcel may go back to us soon. Write to us and we will help you get it."),
            )
        if incident_type == IncidentType.PICKUP_DEADLINE:
            if collect_by and point:
                body = gettext("Your parcel is waiting for you at %(point)s until %(date)s. Please collect it by then.")
            elif collect_by:
                body = gettext("Your parcel is waiting for you until %(date)s. Please collect it by then.")
            else:
                body = gettext("Your parcel is waiting for you at the pickup point. Please collect it soon.")
            return Explanation(gettext("Your parcel is waiting for you"), body % {"date": collect_by, "point": point})
        if incident_type == IncidentType.FAILED_ATTEMPT:
            return Explanation(
                gettext("The courier could not deliver your parcel"),
                gettext(
                    "The carrier will try again or leave the parcel at a pickup point. Check the carrier's page "
                    "to arrange a new delivery, or write to us."
                ),
            )
        if incident_type == IncidentType.DELAYED:
            return Explanation(
                gettext("Your parcel is delayed"),
                gettext("Your parcel is taking longer than expected. We are watching it and will let you know."),
            )
        if incident_type == IncidentType.EXCEPTION:
            return Explanation(
                gettext("There is a problem with your parcel"),
                gettext(
                    "The carrier reported a problem with your parcel. We are on it and will contact you if needed."
                ),
            )
        return Explanation(
            gettext("Your parcel needs a little more time"),
            gettext(
                "We have not heard from the carrier for a while. We are in touch with them and will keep you posted."
            ),
        )
