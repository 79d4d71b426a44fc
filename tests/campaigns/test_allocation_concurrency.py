"""Concurrent allocation on PostgreSQL: many workers, one pool, no code handed out twice."""

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from campaigns.discounts import discount_code_allocate
from campaigns.models import DiscountAllocation, DiscountCode
from tests.campaigns.factories import DiscountPoolFactory
from tests.factories import OrderFactory, ShopFactory

WORKERS = 8
ORDERS_PER_WORKER = 15


def _run_in_threads(target, arguments):
    barrier = threading.Barrier(len(arguments))
    failures: list[BaseException] = []

    def run(argument):
        try:
            barrier.wait()
            target(argument)
        except BaseException as error:  # surfaced in the test below
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_hand_out_the_same_code():
    # Given fewer codes than orders, so the workers also race for the last ones
    shop = ShopFactory()
    pool = DiscountPoolFactory(shop=shop)
    total_orders = WORKERS * ORDERS_PER_WORKER
    DiscountCode.objects.bulk_create(DiscountCode(pool=pool, code=f"C-{n:04d}") for n in range(total_orders - 10))
    orders = [OrderFactory(shop=shop) for _ in range(total_orders)]
    chunks = [orders[i::WORKERS] for i in range(WORKERS)]

    # When every worker allocates for its orders at the same time
    def allocate_all(chunk):
        for order in chunk:
            discount_code_allocate(pool=pool, order=order)

    _run_in_threads(allocate_all, chunks)

    # Then every code went to at most one order, and exactly (codes) orders got one
    allocations = list(DiscountAllocation.objects.filter(pool=pool).values_list("code", "order_id"))
    assert len(allocations) == total_orders - 10
    assert Counter(code for code, _ in allocations).most_common(1)[0][1] == 1
    assert len({order_id for _, order_id in allocations}) == total_orders - 10
    assert DiscountCode.objects.filter(pool=pool, allocated_at__isnull=True).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_for_one_order_allocate_once():
    shop = ShopFactory()
    pool = DiscountPoolFactory(shop=shop)
    DiscountCode.objects.bulk_create(DiscountCode(pool=pool, code=f"R-{n:03d}") for n in range(20))
    order = OrderFactory(shop=shop)
    codes: list[str] = []

    _run_in_threads(
        lambda _: codes.append(discount_code_allocate(pool=pool, order=order).allocation.code), list(range(WORKERS))
    )

    assert len(set(codes)) == 1
    assert DiscountAllocation.objects.filter(pool=pool).count() == 1
    assert DiscountCode.objects.filter(pool=pool, allocated_at__isnull=False).count() == 1
