"""Every consumer of the test app, routed: the schema tests describe this application."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path, re_path

from djangochannelsrestframework.auth import TokenAuthMiddlewareStack
from tests.app import (
    consumers,
    live_consumers,
    multiplexing_consumers,
    observer_consumers,
    schema_consumers,
)

CONSUMERS = [
    consumers.UserConsumer,
    consumers.NoteConsumer,
    consumers.BookListConsumer,
    consumers.BookStreamConsumer,
    consumers.BookSearchConsumer,
    consumers.ThreadRecordingNoteConsumer,
    observer_consumers.UserChangesConsumer,
    observer_consumers.UserDataConsumer,
    observer_consumers.UsernameGroupsConsumer,
    observer_consumers.CommentsOfUserConsumer,
    observer_consumers.MeasurementConsumer,
    observer_consumers.NoteChangesConsumer,
    observer_consumers.PostChangesConsumer,
    observer_consumers.UserInstanceConsumer,
    observer_consumers.NoteInstanceConsumer,
    observer_consumers.PerSubscriberNoteConsumer,
    observer_consumers.NoUpdatesNoteConsumer,
    observer_consumers.OwnerNoteConsumer,
    schema_consumers.LibraryConsumer,
    schema_consumers.DeclaredConsumer,
    multiplexing_consumers.ScopeConsumer,
    multiplexing_consumers.RefusingConsumer,
    live_consumers.LiveItemConsumer,
    live_consumers.UnpaginatedLiveItemConsumer,
    live_consumers.OwnLiveItemConsumer,
    live_consumers.PagedLiveItemConsumer,
    live_consumers.ThrottledLiveItemConsumer,
]

#: The modules whose consumers CONSUMERS must list (tests/test_schema.py checks it).
MODULES = [consumers, observer_consumers, schema_consumers, multiplexing_consumers, live_consumers]

application = TokenAuthMiddlewareStack(
    URLRouter(
        [
            # One route with a path parameter, one nested router behind session auth only.
            path("ws/users/<int:team>/", consumers.UserConsumer.as_asgi()),
            re_path(
                r"^ws/session/",
                AuthMiddlewareStack(
                    URLRouter([re_path(r"^notes/(?P<owner>[0-9]+)/$", consumers.NoteConsumer())])
                ),
            ),
            *[path(f"ws/{c.__name__.lower()}/", c.as_asgi()) for c in CONSUMERS],
        ]
    )
)
