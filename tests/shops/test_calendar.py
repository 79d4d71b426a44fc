"""The business-day calendar: holidays per country, Saturday carriers, shop closures, counting."""

import logging
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shops import calendar
from shops.calendar import (
    add_business_days,
    add_business_days_to_moment,
    business_days_between,
    business_days_between_moments,
    carrier_works_saturdays,
    is_business_day,
    local_date,
    public_holidays,
)
from shops.models import ShopClosure

FRIDAY, SATURDAY, SUNDAY, MONDAY = date(2026, 11, 6), date(2026, 11, 7), date(2026, 11, 8), date(2026, 11, 9)


@pytest.fixture
def fresh_caches():
    calendar._country_known.cache_clear()
    public_holidays.cache_clear()
    yield
    calendar._country_known.cache_clear()
    public_holidays.cache_clear()


@pytest.mark.parametrize("day", [date(2025, 12, 24), date(2026, 12, 24)])
def test_christmas_eve_is_a_polish_holiday_from_2025(day):
    assert day in public_holidays("PL", day.year)
    assert is_business_day(day, country="PL") is False


def test_christmas_eve_2024_was_a_polish_working_day():
    assert date(2024, 12, 24) not in public_holidays("PL", 2024)
    assert is_business_day(date(2024, 12, 24), country="PL") is True


@pytest.mark.parametrize(
    "day",
    [date(2026, 4, 6), date(2026, 6, 4), date(2026, 11, 11), date(2026, 1, 6), date(2026, 5, 1)],
    ids=["easter-monday", "corpus-christi", "independence-day", "epiphany", "labour-day"],
)
def test_polish_public_holidays_are_not_business_days(day):
    assert is_business_day(day, country="PL") is False


def test_the_day_before_a_polish_holiday_is_a_business_day():
    assert is_business_day(date(2026, 6, 3), country="PL") is True


@pytest.mark.parametrize(
    ("country", "day"),
    [
        ("CZ", date(2026, 7, 6)),
        ("SK", date(2026, 4, 3)),
        ("DE", date(2026, 5, 14)),
        ("HU", date(2026, 10, 23)),
        ("AT", date(2026, 10, 26)),
        ("LT", date(2026, 2, 16)),
    ],
)
def test_holidays_of_the_neighbouring_countries(country, day):
    assert is_business_day(day, country=country) is False
    assert is_business_day(day, country="PL") is True


def test_country_codes_are_read_case_insensitively():
    assert is_business_day(date(2026, 4, 6), country=" pl ") is False


def test_weekends_are_not_business_days_without_a_saturday_carrier():
    assert is_business_day(FRIDAY, country="PL") is True
    assert is_business_day(SATURDAY, country="PL") is False
    assert is_business_day(SUNDAY, country="PL") is False


def test_a_saturday_carrier_works_saturdays_but_never_sundays():
    assert is_business_day(SATURDAY, country="PL", carrier="inpost") is True
    assert is_business_day(SUNDAY, country="PL", carrier="inpost") is False


def test_a_saturday_carrier_still_rests_on_a_saturday_holiday():
    # 2026-08-15 (Assumption) is a Saturday.
    assert is_business_day(date(2026, 8, 15), country="PL", carrier="inpost") is False


@pytest.mark.parametrize(
    ("carrier", "service", "expected"),
    [
        ("inpost", "inpost_locker_standard", True),
        ("inpost", "", True),
        ("inpost", "inpost_courier_standard", False),
        ("INPOST", "Inpost_Courier_Standard", False),
        ("dhl", "parcel-de", True),
        ("dhl", "express", False),
        ("poczta_polska", "", False),
        ("dpd", "", False),
        ("acme", "", False),
        (None, "", False),
    ],
)
def test_saturday_work_per_carrier_and_service(carrier, service, expected):
    assert carrier_works_saturdays(carrier=carrier, service=service) is expected


def test_counting_over_a_weekend_depends_on_the_carrier():
    assert business_days_between(FRIDAY, MONDAY, country="PL") == 1
    assert business_days_between(FRIDAY, MONDAY, country="PL", carrier="inpost") == 2
    assert business_days_between(FRIDAY, MONDAY, country="PL", carrier="dpd") == 1


def test_count_semantics_start_exclusive_end_inclusive():
    assert business_days_between(FRIDAY, FRIDAY, country="PL") == 0
    assert business_days_between(FRIDAY, SATURDAY, country="PL") == 0
    assert business_days_between(SATURDAY, MONDAY, country="PL") == 1
    assert business_days_between(date(2026, 11, 2), FRIDAY, country="PL") == 4


def test_start_after_end_counts_negatively():
    assert business_days_between(MONDAY, FRIDAY, country="PL") == -1
    assert business_days_between(MONDAY, FRIDAY, country="PL", carrier="inpost") == -2


def test_counting_across_the_new_year():
    # 24, 25, 26 Dec and 1 Jan are holidays; 27-28 Dec is a weekend.
    assert business_days_between(date(2025, 12, 23), date(2026, 1, 2), country="PL") == 4
    assert business_days_between(date(2026, 1, 2), date(2025, 12, 23), country="PL") == -4


def test_add_business_days_skips_weekends_and_holidays():
    assert add_business_days(date(2025, 12, 23), 1, country="PL") == date(2025, 12, 29)
    assert add_business_days(date(2025, 12, 23), 4, country="PL") == date(2026, 1, 2)
    assert add_business_days(FRIDAY, 1, country="PL") == MONDAY
    assert add_business_days(FRIDAY, 1, country="PL", carrier="inpost") == SATURDAY


def test_add_business_days_zero_and_negative():
    assert add_business_days(SUNDAY, 0, country="PL") == SUNDAY
    assert add_business_days(MONDAY, -1, country="PL") == FRIDAY
    assert add_business_days(date(2026, 1, 2), -4, country="PL") == date(2025, 12, 23)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 17, 40])
def test_add_business_days_is_the_inverse_of_counting(n):
    start = date(2025, 12, 20)
    assert business_days_between(start, add_business_days(start, n, country="PL"), country="PL") == n


def test_unknown_country_counts_weekends_only_and_logs_once(fresh_caches, caplog):
    caplog.set_level(logging.WARNING, logger="shops.calendar")

    assert is_business_day(date(2026, 12, 25), country="ZZ") is True
    assert is_business_day(SATURDAY, country="ZZ") is False
    assert business_days_between(FRIDAY, MONDAY, country="ZZ") == 1
    assert business_days_between(date(2025, 12, 20), date(2026, 1, 3), country="ZZ") == 10

    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == ["no public holidays known for country 'ZZ': counting weekends only"]


def test_blank_country_counts_weekends_only(fresh_caches):
    assert public_holidays("", 2026) == frozenset()
    assert is_business_day(date(2026, 12, 25), country="") is True


def test_holiday_sets_are_cached_per_country_and_year(fresh_caches):
    public_holidays("PL", 2026)
    public_holidays("PL", 2026)
    public_holidays("PL", 2025)

    info = public_holidays.cache_info()
    assert (info.hits, info.misses) == (1, 2)


def test_a_shop_closure_is_not_a_business_day_for_that_shop_only(shop, other_shop):
    ShopClosure.objects.create(shop=shop, starts_on=date(2026, 11, 4), ends_on=date(2026, 11, 5), note="inventory")

    assert is_business_day(date(2026, 11, 4), country="PL", shop=shop) is False
    assert is_business_day(date(2026, 11, 5), country="PL", shop=shop) is False
    assert is_business_day(FRIDAY, country="PL", shop=shop) is True
    assert is_business_day(date(2026, 11, 4), country="PL", shop=other_shop) is True
    assert is_business_day(date(2026, 11, 4), country="PL") is True


def test_closures_shorten_counts_and_push_additions(shop):
    ShopClosure.objects.create(shop=shop, starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 4))
    ShopClosure.objects.create(shop=shop, starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 2))

    assert business_days_between(date(2026, 11, 2), FRIDAY, country="PL", shop=shop) == 2
    assert add_business_days(date(2026, 11, 2), 1, country="PL", shop=shop) == date(2026, 11, 5)
    assert add_business_days(date(2026, 11, 5), -1, country="PL", shop=shop) == date(2026, 11, 2)


def test_a_closure_cannot_end_before_it_starts(shop):
    closure = ShopClosure(shop=shop, starts_on=date(2026, 11, 5), ends_on=date(2026, 11, 4))

    with pytest.raises(ValidationError, match=r"A closure cannot end before it starts\."):
        closure.full_clean()
    assert ShopClosure.objects.count() == 0


def test_moments_are_counted_on_the_shops_local_days(shop):
    # Friday 23:30 in Warsaw to Tuesday 00:30 in Warsaw; in UTC it is Friday to Monday.
    start = datetime(2026, 11, 6, 22, 30, tzinfo=UTC)
    end = datetime(2026, 11, 9, 23, 30, tzinfo=UTC)

    assert business_days_between_moments(start, end, country="PL", shop=shop) == 2
    assert business_days_between_moments(start, end, country="PL", time_zone="UTC") == 1
    assert local_date(end, shop=shop) == date(2026, 11, 10)


def test_a_moment_without_shop_or_zone_uses_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Europe/Warsaw"

    assert local_date(datetime(2026, 11, 9, 23, 30, tzinfo=UTC)) == date(2026, 11, 10)


def test_adding_business_days_to_a_moment_keeps_the_local_time_across_dst(shop):
    # Friday 27 March 2026 10:00 in Warsaw (UTC+1); clocks go forward on Sunday the 29th.
    moment = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)

    later = add_business_days_to_moment(moment, 1, country="PL", shop=shop)

    assert later == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def _shop_form_data(client, shop):
    """The shop's change form as the admin page fills it, with the closures inline's management form."""
    page = client.get(reverse("admin:shops_shop_change", args=[shop.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name not in BRAND_IMAGES}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    return data


BRAND_IMAGES = {"logo", "favicon", "banner_image"}


def test_an_owner_adds_a_closure_inline_on_the_shop(client, shop, owner):
    client.force_login(owner)
    data = _shop_form_data(client, shop)
    data.update(
        {
            "closures-TOTAL_FORMS": "1",
            "closures-0-starts_on": "2026-12-28",
            "closures-0-ends_on": "2026-12-31",
            "closures-0-note": "Inventory",
        }
    )

    response = client.post(reverse("admin:shops_shop_change", args=[shop.pk]), data)

    assert response.status_code == 302
    assert list(shop.closures.values_list("starts_on", "ends_on", "note")) == [
        (date(2026, 12, 28), date(2026, 12, 31), "Inventory")
    ]


def test_a_marketer_sees_the_closures_but_cannot_add_one(client, shop, marketer, other_shop):
    ShopClosure.objects.create(shop=shop, starts_on=date(2026, 12, 28), ends_on=date(2026, 12, 31), note="Ours")
    ShopClosure.objects.create(shop=other_shop, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 1), note="Theirs")
    client.force_login(marketer)

    page = client.get(reverse("admin:shops_shop_change", args=[shop.pk]))

    (inline,) = page.context["inline_admin_formsets"]
    assert [closure.note for closure in inline.formset.queryset] == ["Ours"]
    assert inline.has_add_permission is False
    assert inline.has_change_permission is False
