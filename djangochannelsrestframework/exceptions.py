"""Exceptions that become error replies: each carries the status and text the client sees.

All are DRF ``APIException`` subclasses, so ``AsyncAPIConsumer.handle_exception`` turns
them into one reply envelope the same way it does DRF's own exceptions.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied


class ActionMissingException(APIException):
    """The message has no ``action`` key (1.3 name and text)."""

    status_code = status.HTTP_405_METHOD_NOT_ALLOWED
    default_detail = _("Unable to find action in message body.")
    default_code = "method_not_allowed"


class InvalidMessage(APIException):
    """The frame could not be read as a request: not JSON, not an object, wrong key types."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Malformed request.")
    default_code = "invalid_message"


class MessageTooLarge(APIException):
    """The frame is larger than the ``MAX_MESSAGE_SIZE`` setting; it was not parsed."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Message too large.")
    default_code = "message_too_large"


class Conflict(APIException):
    """The database refused the write (an integrity constraint); nothing was saved."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the data.")
    default_code = "conflict"


class ServerError(APIException):
    """An unexpected exception in an action; the details go to the server log only."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = _("A server error occurred.")
    default_code = "error"


class TooManyDetachedTasks(APIException):
    """The connection already runs ``MAX_DETACHED_TASKS`` detached actions; retry later."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many actions are running on this connection; wait for one to finish.")
    default_code = "too_many_detached_tasks"


class ChannelLayerUnavailable(APIException):
    """The channel layer (Redis) cannot be reached: live updates are unavailable for now.

    Requests that need it (subscriptions) get this 503; everything else keeps working.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Live updates are unavailable right now; retry in a few seconds.")
    default_code = "channel_layer_unavailable"


class TooManySubscriptions(APIException):
    """The connection already holds ``MAX_SUBSCRIPTIONS`` observer subscriptions; nothing
    was subscribed. Unsubscribe from something first."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many subscriptions on this connection; unsubscribe from some first.")
    default_code = "too_many_subscriptions"


def as_api_exception(exc: BaseException) -> APIException | None:
    """The ``APIException`` a failure is answered with; ``None`` for an unexpected one (a
    bug, answered with a 500 that reveals nothing).

    DRF exceptions stand as they are; ``Http404`` and ``DoesNotExist`` are 404
    ``["Not found"]`` (1.3's text); Django's ``PermissionDenied`` is 403 and its
    ``ValidationError`` 400; a ``DataError`` (a value the database cannot store or
    compare, see ``is_data_error``) is 400 and an ``IntegrityError`` 409.
    """
    if isinstance(exc, APIException):
        return exc
    if exc is Http404 or isinstance(exc, Http404 | ObjectDoesNotExist):
        return NotFound("Not found")
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return InvalidMessage(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if is_data_error(exc):
        return InvalidMessage(_("A value is out of range or of the wrong type for the database."))
    if isinstance(exc, IntegrityError):
        return Conflict()
    return None


def is_data_error(exc: BaseException) -> bool:
    """Whether a database error means "a value the database cannot store or compare".

    Django's ``DataError``, and SQLite's "datatype mismatch", which its driver classes as
    an integrity error although no constraint is involved. Such errors are the client's
    (a 400), never a conflict with stored data (409).
    """
    if isinstance(exc, DataError):
        return True
    return isinstance(exc, IntegrityError) and "datatype mismatch" in str(exc)
