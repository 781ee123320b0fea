"""The demo page: a small WebSocket console for the user consumer."""

from django.shortcuts import render


def index(request):
    """Render the console; the page's script connects to ``/ws/`` on the same host."""
    return render(request, "demo/index.html")
