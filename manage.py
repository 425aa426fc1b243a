#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A web server started here gets the web statement timeout from its first connection.
    process = "web" if sys.argv[1:2] == ["runserver"] else "command"
    os.environ.setdefault("LEADBRIDGE_PROCESS", process)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
