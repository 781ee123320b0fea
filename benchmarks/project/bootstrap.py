"""Configure Django, create the schema and seed 50 users, before any consumer is imported.

1.3 reads its settings when ``consumers``/``mixins`` are imported, so Django must be set
up first; every benchmark entry point calls :func:`setup` before importing consumers.
"""

from __future__ import annotations

import os

SEED_USERS = 50


def setup(migrate: bool = True, seed: bool = True) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    if seed:
        seed_users()


def seed_users(count: int = SEED_USERS) -> None:
    """Make sure users 1..count exist (idempotent, so a shared DB file can be re-seeded)."""
    from django.contrib.auth.models import User

    existing = User.objects.count()
    User.objects.bulk_create(
        User(username=f"user{i}", email=f"user{i}@example.com", password="x")
        for i in range(existing + 1, count + 1)
    )


def library_info() -> dict[str, str]:
    """Which djangochannelsrestframework this process imports, and from where."""
    import platform
    from importlib.metadata import version

    info = {
        "python": platform.python_version(),
        **{
            name: version(name)
            for name in (
                "Django",
                "channels",
                "djangorestframework",
                "asgiref",
                "uvicorn",
                "websockets",
            )
        },
    }
    try:
        import djangochannelsrestframework as dcrf
    except ImportError:  # the floor does not need it
        return {**info, "dcrf_version": "-", "dcrf_path": "-"}
    return {**info, "dcrf_version": dcrf.__version__, "dcrf_path": os.path.dirname(dcrf.__file__)}
