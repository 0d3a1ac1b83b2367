"""Creates the benchmark database at $BENCH_DJANGO_DB: migrate, then 50 items."""

import os

import django
from django.core.management import call_command

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangobench.settings")
django.setup()
call_command("migrate", verbosity=0)

from djangobench.models import Item  # noqa: E402  (needs django.setup())

Item.objects.all().delete()
Item.objects.bulk_create(Item(name=f"Product {n}", price_cents=100 + 7 * n) for n in range(50))
print(f"seeded {Item.objects.count()} items into {os.environ['BENCH_DJANGO_DB']}")
