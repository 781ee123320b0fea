"""``manage.py seed_demo``: create the demo users "user 1" to "user 3" unless they exist."""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

SEED_USERS = [(f"user {n}", f"{n}@example.com") for n in (1, 2, 3)]


class Command(BaseCommand):
    help = 'Create the demo users "user 1" to "user 3" (safe to run again).'

    def handle(self, *args, **options):
        created = 0
        for username, email in SEED_USERS:
            user, was_created = User.objects.get_or_create(
                username=username, defaults={"email": email}
            )
            if was_created:
                user.set_password("demo-password")
                user.save(update_fields=["password"])
                created += 1
        self.stdout.write(f"seed_demo: {created} user(s) created, {User.objects.count()} in total.")
        # An API token for "user 1", to try token authentication: open the demo page as
        # http://.../#token=<key> and it connects with the subprotocols ["token", key],
        # which (unlike ?token=<key>) never appears in the server's access log.
        token, _ = Token.objects.get_or_create(user=User.objects.get(username="user 1"))
        self.stdout.write(
            f'seed_demo: token of "user 1": {token.key} (open the page as /#token=<key>)'
        )
