"""ASGI application for the uvicorn workloads: ``/ws/users/`` (library), ``/ws/floor/``.

Run from ``benchmarks/`` (so that ``project`` is importable and the repository root is
not on ``sys.path``): ``python -m uvicorn project.asgi:application``.
``BENCH_IMPL=floor`` serves only the floor, so its process never imports the library.
"""

import os

from project.bootstrap import setup

setup(migrate=False, seed=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from project.floor import FloorUserConsumer  # noqa: E402

routes = [path("ws/floor/", FloorUserConsumer.as_asgi())]
if os.environ.get("BENCH_IMPL") != "floor":
    from project.consumers import UserConsumer

    routes.append(path("ws/users/", UserConsumer.as_asgi()))
if os.environ.get("BENCH_SLOW_READS"):
    from project.slow_reads import SlowListUserConsumer

    routes.append(path("ws/slow/", SlowListUserConsumer.as_asgi()))

application = ProtocolTypeRouter({"websocket": URLRouter(routes)})
