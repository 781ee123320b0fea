"""No HTTP views: the benchmarks only speak WebSocket."""

urlpatterns: list = []
