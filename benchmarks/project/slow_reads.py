"""Users whose ``list`` is slow (PostgreSQL ``pg_sleep``), for benchmarks/read_threads.py."""

import os

from django.contrib.auth.models import User

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin, RetrieveModelMixin
from project.serializers import UserSerializer

#: How long every ``list`` sleeps in the database.
SLOW_SECONDS = float(os.environ.get("BENCH_SLOW_SECONDS", "0.2"))


class SlowListUserConsumer(ListModelMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.all()
    serializer_class = UserSerializer

    def get_queryset(self, **kwargs):
        queryset = super().get_queryset(**kwargs)
        if kwargs.get("action") == "list":
            # An uncorrelated subquery runs once per query (an InitPlan), not once per row.
            queryset = queryset.extra(where=[f"(SELECT pg_sleep({SLOW_SECONDS:f})) IS NOT NULL"])
        return queryset
