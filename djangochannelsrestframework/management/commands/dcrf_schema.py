"""``manage.py dcrf_schema``: print the AsyncAPI 3.0 document of the routed consumers (or
TypeScript declarations generated from it)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangochannelsrestframework.schema.asyncapi import SchemaGenerator
from djangochannelsrestframework.schema.typescript import to_typescript


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        return None
    return yaml


class Command(BaseCommand):
    help = (
        "Print the AsyncAPI 3.0 document of the WebSocket consumers that ASGI_APPLICATION "
        "routes (YAML by default, JSON, or TypeScript declarations with --format typescript)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=["yaml", "json", "typescript"],
            default=None,
            help="Output format (default: yaml when PyYAML is installed, else json).",
        )
        parser.add_argument(
            "--route", default=None, help="Only the route at PATH (a prefix if it ends in /)."
        )
        parser.add_argument(
            "--application",
            default=None,
            help="Dotted path of the ASGI application (default: ASGI_APPLICATION).",
        )
        parser.add_argument("--title", default=None, help="The document's title.")
        parser.add_argument("--api-version", default=None, help="The document's info.version.")
        parser.add_argument(
            "--server", default=None, help="host:port of a server entry (none by default)."
        )
        parser.add_argument("--file", default=None, help="Write to FILE instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        generator = SchemaGenerator(
            application=options["application"],
            route=options["route"],
            title=options["title"],
            version=options["api_version"],
            server=options["server"],
        )
        document = generator.get_schema()
        if options["route"] and not document["channels"]:
            raise CommandError(f"No consumer is routed at {options['route']!r}.")
        output_format = options["format"] or ("yaml" if _yaml() else "json")
        if output_format == "yaml":
            yaml = _yaml()
            if yaml is None:
                raise CommandError("--format yaml needs PyYAML: pip install PyYAML, or use json.")
            text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        elif output_format == "typescript":
            text = to_typescript(document)
        else:
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if options["file"]:
            with open(options["file"], "w", encoding="utf-8") as out:
                out.write(text)
        else:
            self.stdout.write(text, ending="")
