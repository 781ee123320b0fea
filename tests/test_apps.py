"""The app config: start-up discovery of consumers modules."""

import os
import subprocess
import sys


def test_observers_are_connected_at_startup_without_importing_consumers():
    """With the app installed, a process that never imports the consumers module still has
    their observers connected after ``django.setup()`` (autodiscovery)."""
    script = (
        "import django; django.setup();"
        "from django.contrib.auth import get_user_model;"
        "from djangochannelsrestframework.observer.model_observer import observers_for;"
        "import sys;"
        "print(len(observers_for(get_user_model())), 'tests.app.consumers' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    output = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(output[0]) >= 1
    assert output[1] == "True"
