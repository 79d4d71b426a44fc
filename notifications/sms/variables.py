"""What a shop-written SMS text may use: its variables, and the check that runs when it is saved or previewed."""

from __future__ import annotations

from jinja2 import TemplateError, meta

from config.sandbox import sandbox_render, shop_sandbox

SMS_VARIABLES: dict[str, str] = {
    "shop_name": "The shop's name",
    "order_number": "The shop's order number, e.g. 1001",
    "customer_name": "The customer's name as the order has it (may be empty)",
    "tracking_url": "The order's tracking page link",
    "eta": "Expected delivery in words (day and time window), or empty",
    "pickup_point_name": "The pickup point's name, or empty",
    "pickup_point_address": "The pickup point's address, or empty",
    "collect_by": "The last day to collect the parcel, or empty",
}
SAMPLE_VALUES = {name: f"[{name}]" for name in SMS_VARIABLES}


def sms_template_errors(*, body: str) -> str:
    """A form error for a shop-edited SMS text (syntax, unknown variables, sandbox limits); empty when fine."""
    try:
        parsed = shop_sandbox().parse(body)
        unknown = sorted(meta.find_undeclared_variables(parsed) - SMS_VARIABLES.keys())
        if unknown:
            return f"Unknown variable(s): {', '.join(unknown)}. Available: {', '.join(SMS_VARIABLES)}."
        sandbox_render(body, SAMPLE_VALUES)
    except TemplateError as error:
        return f"Template error: {error.message or error}"
    return ""
