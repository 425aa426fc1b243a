from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the last line of the output is the key)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        token, key = api_token_create(user=user)
        self.stdout.write(
            f"Created an API token for {username} ({token.token_key}…). Only a hash is stored: "
            "copy it now. Send it as 'Authorization: Token <key>'."
        )
        self.stdout.write(key)
