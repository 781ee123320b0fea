"""The demo page: a small WebSocket console for the user consumer, and its two files."""

from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render

STATIC_DIR = Path(__file__).resolve().parent / "static" / "demo"
STATIC_TYPES = {"demo.js": "text/javascript", "demo.css": "text/css"}


def index(request):
    """Render the console; the page's script connects to ``/ws/`` on the same host."""
    return render(request, "demo/index.html")


def static_file(request, name):
    """Serve the page's script or style sheet, whatever ``DEBUG`` is: no extra server needed."""
    if name not in STATIC_TYPES:
        raise Http404(name)
    body = (STATIC_DIR / name).read_bytes()
    return HttpResponse(body, content_type=f"{STATIC_TYPES[name]}; charset=utf-8")
