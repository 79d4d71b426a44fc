"""Which shops a user may act on: the one selector the admins, forms and the portal preview use."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from api.models import CsvImport
from campaigns.models import Campaign
from shops.models import Role
from shops.selectors import shops_for_user
from tests.factories import MembershipFactory, ShopFactory, UserFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_a_member_gets_their_shops_and_only_in_the_roles_asked(shop, other_shop):
    # given a user who owns one shop and markets another
    user = MembershipFactory(shop=shop, role=Role.OWNER).user
    MembershipFactory(shop=other_shop, user=user, role=Role.MARKETER)

    # then
    assert set(shops_for_user(user=user)) == {shop, other_shop}
    assert set(shops_for_user(user=user, roles={Role.OWNER})) == {shop}
    assert set(shops_for_user(user=user, roles={Role.SUPPORT})) == set()


def test_a_superuser_gets_every_shop_and_an_inactive_user_none(shop, other_shop, superuser):
    inactive = MembershipFactory(shop=shop, role=Role.OWNER).user
    inactive.is_active = False
    inactive.save()

    assert set(shops_for_user(user=superuser)) == {shop, other_shop}
    assert list(shops_for_user(user=inactive)) == []


def test_an_admin_offers_the_shops_where_the_role_allows_the_action(shop, other_shop):
    # given a marketer of one shop and owner of another
    user = MembershipFactory(shop=shop, role=Role.MARKETER).user
    MembershipFactory(shop=other_shop, user=user, role=Role.OWNER)
    request = _request(user)

    # then imports (owners only) offer the owned shop, campaigns (owners and marketers) both
    assert set(admin.site._registry[CsvImport].shops_for(request, "add")) == {other_shop}
    assert set(admin.site._registry[Campaign].shops_for(request, "add")) == {shop, other_shop}


def test_a_user_who_is_not_staff_gets_no_shop_in_the_admin(shop):
    user = UserFactory(is_staff=False)
    MembershipFactory(shop=shop, user=user, role=Role.OWNER)

    assert list(admin.site._registry[CsvImport].shops_for(_request(user), "add")) == []


def test_superuser_gets_every_shop_in_the_admin(superuser, shop):
    ShopFactory()

    assert admin.site._registry[CsvImport].shops_for(_request(superuser), "add").count() == 2
