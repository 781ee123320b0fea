"""Token authentication for WebSocket handshakes, with DRF's authentication classes.

Browsers cannot set an ``Authorization`` header on a WebSocket, so ``TokenAuthMiddleware``
looks for the token in three places, in this order:

1. the ``Sec-WebSocket-Protocol`` header, as the pair of subprotocols ``"token", "<key>"``
   (JavaScript: ``new WebSocket(url, ["token", key])``). The handshake is then accepted
   with the subprotocol ``"token"`` (browsers drop a connection that offered subprotocols
   and got none back); the key itself is never echoed and is removed from
   ``scope["subprotocols"]``;
2. the ``Authorization`` header (``Authorization: Token <key>``), for non-browser clients;
3. the query string (``?token=<key>``). Convenient, but URLs are written to the access
   logs of servers and proxies and may be kept in browser history: prefer the others.

The credentials are checked by the DRF authentication classes of the ``AUTHENTICATION_CLASSES``
setting (default: DRF's ``TokenAuthentication``) in a worker thread, since they query the
database. Outcomes:

* valid credentials: ``scope["user"]`` and ``scope["auth"]`` are set from DRF's result;
* no credentials: the scope is left as it is (a session user from ``AuthMiddlewareStack``
  when stacked inside it, else an ``AnonymousUser``): permissions decide;
* credentials that fail (unknown token, inactive user, or a token no class recognises):
  the handshake is accepted and the socket closed at once with code 4401
  (``WS_4401_UNAUTHORIZED``), so that clients can tell "log in again" from a network
  failure. The application is never called: bad credentials never fall back to anonymous.

Credentials are checked at the handshake. A token revoked later keeps working on sockets
already open unless the ``TOKEN_RECHECK_INTERVAL`` setting is a number of seconds: then
every such socket checks its credentials again at that interval (one database query each
time) and is closed with 4401 when they are refused. If the check itself fails (the
database is down), the socket is kept and checked again after the next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast

from channels.auth import AuthMiddlewareStack
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from django.db import DataError
from django.http import QueryDict
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from djangochannelsrestframework import limits
from djangochannelsrestframework.db import database_sync_to_async
from djangochannelsrestframework.protocol import WS_1013_TRY_AGAIN_LATER, WS_4401_UNAUTHORIZED
from djangochannelsrestframework.scope_utils import request_from_scope
from djangochannelsrestframework.settings import api_settings

__all__ = ["TokenAuthMiddleware", "TokenAuthMiddlewareStack", "AuthenticationRefused"]

logger = logging.getLogger("djangochannelsrestframework.auth")


class AuthenticationRefused(Exception):
    """The handshake carried credentials that no authentication class accepted."""


class TokenAuthMiddleware(BaseMiddleware):
    """Authenticate a WebSocket handshake with DRF authentication classes (see module doc).

    ``authentication_classes`` defaults to the ``AUTHENTICATION_CLASSES`` setting, read for
    each connection. Other ASGI scope types (HTTP) pass through untouched.
    """

    #: Query-string parameter that may carry the token.
    query_param: str = "token"
    #: Subprotocol that announces the token as the next offered subprotocol.
    subprotocol: str = "token"
    #: Close code sent when the credentials are refused.
    close_code: int = WS_4401_UNAUTHORIZED

    def __init__(self, inner: Any, authentication_classes: Sequence[type] | None = None) -> None:
        super().__init__(inner)
        self.authentication_classes = authentication_classes

    def get_authenticators(self) -> list[Any]:
        """Instantiate the DRF authentication classes to try, in order."""
        classes = self.authentication_classes
        if classes is None:
            classes = api_settings.AUTHENTICATION_CLASSES
        return [authentication() for authentication in classes]

    def get_subprotocol_token(self, scope: dict[str, Any]) -> str | None:
        """The value offered after the ``subprotocol`` marker, if any."""
        offered = list(scope.get("subprotocols") or ())
        if self.subprotocol in offered:
            position = offered.index(self.subprotocol)
            if position + 1 < len(offered):
                return cast("str | None", offered[position + 1])
        return None

    def get_query_token(self, scope: dict[str, Any]) -> str | None:
        query_string = scope.get("query_string", b"")
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        return QueryDict(query_string).get(self.query_param) or None

    def get_authorization(self, scope: dict[str, Any], authenticators: list[Any]) -> str | None:
        """The credentials as an ``Authorization`` header value for the DRF classes.

        A token from the subprotocol or the query string is given the keyword of the
        first authentication class (``Token`` for ``TokenAuthentication``). An
        ``Authorization`` header counts only if its scheme is one of those keywords, so
        that, say, a proxy's Basic credentials do not refuse every handshake.
        """
        keywords = [_scheme_of(a) for a in authenticators] or ["Token"]
        token = self.get_subprotocol_token(scope)
        if token is None:
            for name, value in scope.get("headers", ()):
                if name.lower() == b"authorization":
                    header = value.decode("latin-1")
                    scheme = header.split(" ", 1)[0]
                    if scheme.lower() in {keyword.lower() for keyword in keywords}:
                        return cast("str | None", header)
        if token is None:
            token = self.get_query_token(scope)
        return None if token is None else f"{keywords[0]} {token}"

    def authenticate(
        self, scope: dict[str, Any], authorization: str, authenticators: list[Any]
    ) -> tuple[Any, Any]:
        """Run ``authenticators`` on the credentials (sync: they query the database).

        Returns DRF's ``(user, auth)``; raises ``AuthenticationRefused`` if a class
        refuses the credentials or none recognises them. Credentials are header text, so
        characters outside latin-1 (a query-string or subprotocol token may hold any) are
        refused here, before a DRF class fails to encode them.
        """
        try:
            authorization.encode("latin-1")
        except UnicodeEncodeError:
            raise AuthenticationRefused("Credentials must be latin-1 text.") from None
        django_request = request_from_scope(scope)
        django_request.method = "GET"
        django_request.META["HTTP_AUTHORIZATION"] = authorization
        request = Request(django_request)
        for authenticator in authenticators:
            try:
                result = authenticator.authenticate(request)
            except APIException as exc:
                raise AuthenticationRefused(str(exc)) from None
            except UnicodeError:
                # A class that decodes the credentials as UTF-8 (or ASCII) and fails.
                raise AuthenticationRefused("Credentials are not valid text.") from None
            except DataError:
                # A value the database cannot even compare (PostgreSQL: a NUL character):
                # no stored credential is equal to it.
                raise AuthenticationRefused("Credentials are not valid text.") from None
            if result is not None:
                return cast("tuple[Any, Any]", result)
        raise AuthenticationRefused("No authentication class accepted the credentials.")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") != "websocket":
            return await self.inner(scope, receive, send)
        scope = dict(scope)
        authenticators = self.get_authenticators()
        authorization = self.get_authorization(scope, authenticators)
        key = self.get_subprotocol_token(scope)
        via_subprotocol = key is not None
        if via_subprotocol:
            # The application sees that "token" was offered, never the key.
            scope["subprotocols"] = [p for p in scope["subprotocols"] if p != key]
        if authorization is None:
            scope.setdefault("user", AnonymousUser())
            return await self.inner(scope, receive, send)
        try:
            user, auth = await database_sync_to_async(self.authenticate)(
                scope, authorization, authenticators
            )
        except AuthenticationRefused:
            return await self.refuse(receive, send, via_subprotocol)
        except Exception as exc:
            # The check itself failed (the database is down): not the client's fault, and
            # not "log in again" either. 1013 tells clients to retry later.
            logger.warning(
                "Could not check handshake credentials (%s: %s); closing with %s",
                type(exc).__name__,
                limits.quote(str(exc), 200),
                WS_1013_TRY_AGAIN_LATER,
            )
            return await self.refuse(receive, send, via_subprotocol, WS_1013_TRY_AGAIN_LATER)
        scope["user"], scope["auth"] = user, auth
        if via_subprotocol:
            send = self._accepting_subprotocol(send)
        interval = self.get_recheck_interval()
        if interval is None:
            return await self.inner(scope, receive, send)
        return await self._serve_rechecking(
            scope, receive, send, (authorization, authenticators), interval
        )

    def get_recheck_interval(self) -> float | None:
        """Seconds between re-checks of an open socket's credentials (``None``: never)."""
        interval = api_settings.TOKEN_RECHECK_INTERVAL
        return None if interval is None else float(interval)

    async def _serve_rechecking(
        self,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        credentials: tuple[str, list[Any]],
        interval: float,
    ) -> Any:
        """Run the application while re-checking the credentials every ``interval`` s.

        Refused credentials close the socket with ``close_code`` and hand the application
        the disconnect it would get if the client had left, so its clean-up runs.
        """
        revoked = asyncio.Event()
        disconnect = {"type": "websocket.disconnect", "code": self.close_code}

        async def recheck() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await database_sync_to_async(self.authenticate)(scope, *credentials)
                except AuthenticationRefused:
                    break
                except Exception:
                    logger.warning(
                        "Could not re-check credentials; checking again later", exc_info=True
                    )
            revoked.set()
            await send({"type": "websocket.close", "code": self.close_code})

        pending: asyncio.Future[Any] | None = None

        async def receive_until_revoked() -> Any:
            nonlocal pending
            if revoked.is_set():
                return disconnect
            if pending is None:
                pending = asyncio.ensure_future(receive())
            waiter = asyncio.ensure_future(revoked.wait())
            try:
                await asyncio.wait({pending, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if pending.done():
                message, pending = pending.result(), None
                return message
            return disconnect

        checker = asyncio.ensure_future(recheck())
        try:
            return await self.inner(scope, receive_until_revoked, send)
        finally:
            checker.cancel()
            if pending is not None:
                pending.cancel()

    def _accepting_subprotocol(self, send: Any) -> Any:
        """Wrap ``send`` so that accepting the handshake selects the ``token`` subprotocol."""
        subprotocol = self.subprotocol

        async def send_with_subprotocol(message: dict[str, Any]) -> None:
            if message.get("type") == "websocket.accept" and not message.get("subprotocol"):
                message = {**message, "subprotocol": subprotocol}
            await send(message)

        return send_with_subprotocol

    async def refuse(
        self, receive: Any, send: Any, via_subprotocol: bool, code: int | None = None
    ) -> None:
        """Complete the handshake and close at once with ``code`` (default ``close_code``,
        4401)."""
        message = await receive()
        if message.get("type") != "websocket.connect":
            return
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if via_subprotocol:
            accept["subprotocol"] = self.subprotocol
        await send(accept)
        await send({"type": "websocket.close", "code": code or self.close_code})


def TokenAuthMiddlewareStack(inner: Any) -> Any:
    """Session and token authentication: Channels' ``AuthMiddlewareStack`` around
    ``TokenAuthMiddleware``, so a token (when sent) takes precedence over the session."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


def _scheme_of(authenticator: Any) -> str:
    """The ``Authorization`` scheme a DRF authentication class reads.

    ``TokenAuthentication`` names it ``keyword``; others (simplejwt's ``Bearer``, Basic)
    announce it in ``authenticate_header()``, as in a 401's ``WWW-Authenticate``.
    """
    keyword = getattr(authenticator, "keyword", None)
    if keyword:
        return str(keyword)
    try:
        header = authenticator.authenticate_header(None)
    except Exception:
        header = None
    return header.split()[0] if header else "Token"
