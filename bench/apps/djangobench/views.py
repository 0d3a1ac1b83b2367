from django.shortcuts import render

from .models import Item


def page(request):
    items = Item.objects.order_by("id")[:20]
    return render(request, "djangobench/page.html", {"title": "Catalogue", "items": items})
