"""ASGI application for the Redis stage (benchmarks/redis_fanout.py): ``/ws/observed/``.

``BENCH_IMPL=floor`` serves the hand-written floor there; otherwise the library's
``ObserverModelInstanceMixin`` consumer, or with ``BENCH_OBSERVER=model`` the
``@model_observer`` one (ours or 1.3, whichever the virtualenv holds), or with
``BENCH_OBSERVER=live`` the live-list consumer (ours only: 1.3 has no live lists).
"""

import os

from project.bootstrap import setup

setup(migrate=False, seed=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

if os.environ.get("BENCH_IMPL") == "floor":
    from project.floor_observer import FloorObserverConsumer as consumer
elif os.environ.get("BENCH_OBSERVER") == "live":
    from project.live_listed import LiveUsersConsumer as consumer
elif os.environ.get("BENCH_OBSERVER") == "model":
    from project.model_observed import ModelObservedUserConsumer as consumer
else:
    from project.observed import ObservedUserConsumer as consumer

application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/observed/", consumer.as_asgi())])}
)
