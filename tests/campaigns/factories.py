"""Factories for the campaigns app."""

import factory

from campaigns.models import (
    Campaign,
    CampaignContent,
    DiscountCode,
    DiscountPool,
    Product,
    RecommendationRule,
)
from tests.factories import ShopFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    shop = factory.SubFactory(ShopFactory)
    sku = factory.Sequence(lambda n: f"P-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    url = factory.LazyAttribute(lambda product: f"https://shop.example/p/{product.sku.lower()}")
    image_url = factory.LazyAttribute(lambda product: f"https://shop.example/img/{product.sku.lower()}.jpg")
    price = factory.Faker("pydecimal", left_digits=3, right_digits=2, positive=True)
    currency = "PLN"
    category = "mugs"
    tags = ""
    active = True


class RecommendationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecommendationRule

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    priority = 0


class DiscountPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountPool

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Pool {n}")
    kind = "uploaded"
    description = "10% off your next order"


class DiscountCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountCode

    pool = factory.SubFactory(DiscountPoolFactory)
    code = factory.Sequence(lambda n: f"CODE-{n:05d}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    status = "active"
    trigger_type = "status_entered"
    trigger_status = "delivered"
    require_marketing_consent = True


class CampaignContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignContent

    campaign = factory.SubFactory(CampaignFactory)
    variant = "A"
    language = "pl"
    subject = "Dziękujemy za zakupy"
    heading = "Może coś jeszcze?"
    body_markdown = "Zobacz **nowości**."
    cta_text = "Do sklepu"
    cta_url = "https://shop.example/new"
