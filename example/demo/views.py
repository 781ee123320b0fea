"""The demo page: a live users table built on the DCRF client, and its static files."""

from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render

STATIC_DIR = Path(__file__).resolve().parent / "static" / "demo"
STATIC_TYPES = {
    "demo.js": "text/javascript",
    "dcrf-client.js": "text/javascript",
    "demo.css": "text/css",
}


def index(request):
    """Render the page; its script connects to ``/ws/`` on the same host."""
    return render(request, "demo/index.html")


def static_file(request, name):
    """Serve the page's scripts or style sheet, whatever ``DEBUG`` is: no extra server needed."""
    if name not in STATIC_TYPES:
        raise Http404(name)
    body = (STATIC_DIR / name).read_bytes()
    return HttpResponse(body, content_type=f"{STATIC_TYPES[name]}; charset=utf-8")
