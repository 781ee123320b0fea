"""Every name the 1.3 release exposes (spec §1) imports from the same module here."""

import importlib

import pytest

SURFACE = {
    "djangochannelsrestframework": ["__version__"],
    "djangochannelsrestframework.consumers": [
        "APIConsumerMetaclass",
        "AsyncAPIConsumer",
        "DjangoViewAsConsumer",
        "view_as_consumer",
        "logger",
        "AsyncJsonWebsocketConsumer",
        "database_sync_to_async",
        "PermissionDenied",
        "MethodNotAllowed",
        "APIException",
        "Response",
        "api_settings",
        "BasePermission",
        "WrappedDRFPermission",
        "request_from_scope",
        "ensure_async",
        "ActionMissingException",
        "GenericAsyncAPIConsumer",
    ],
    "djangochannelsrestframework.decorators": [
        "action",
        "detached",
        "AsyncAPIConsumer",
        "database_sync_to_async",
        "transaction",
        "settings",
    ],
    "djangochannelsrestframework.generics": [
        "GenericAsyncAPIConsumer",
        "AsyncAPIConsumer",
        "get_object_or_404",
    ],
    "djangochannelsrestframework.mixins": [
        "CreateModelMixin",
        "ListModelMixin",
        "RetrieveModelMixin",
        "UpdateModelMixin",
        "PatchModelMixin",
        "DeleteModelMixin",
        "PaginatedModelListMixin",
        "StreamedPaginatedListMixin",
        "action",
        "api_settings",
        "AsyncAPIConsumer",
        "status",
    ],
    "djangochannelsrestframework.pagination": [
        "WebsocketLimitOffsetPagination",
        "_positive_int",
        "api_settings",
        "LimitOffsetPagination",
    ],
    "djangochannelsrestframework.permissions": [
        "OperationHolderMixin",
        "SingleOperandHolder",
        "OperandHolder",
        "AND",
        "OR",
        "NOT",
        "BasePermissionMetaclass",
        "BasePermission",
        "AllowAny",
        "IsAuthenticated",
        "WrappedDRFPermission",
        "_ensure_base",
        "ensure_async",
        "request_from_scope",
    ],
    "djangochannelsrestframework.settings": [
        "DEFAULTS",
        "IMPORT_STRINGS",
        "APISettings",
        "api_settings",
        "reload_api_settings",
    ],
    "djangochannelsrestframework.scope_utils": ["ensure_async", "request_from_scope"],
    "djangochannelsrestframework.exceptions": ["ActionMissingException"],
    "djangochannelsrestframework.observer": [
        "observer",
        "model_observer",
        "Observer",
        "ModelObserver",
    ],
    "djangochannelsrestframework.observer.base_observer": ["BaseObserver"],
    "djangochannelsrestframework.observer.observer": ["Observer"],
    "djangochannelsrestframework.observer.model_observer": [
        "Action",
        "UnsupportedWarning",
        "ModelObserverInstanceState",
        "ModelObserver",
    ],
    "djangochannelsrestframework.observer.utils": ["ObjPartial"],
    "djangochannelsrestframework.observer.generics": [
        "ObserverConsumerMixin",
        "ObserverModelInstanceMixin",
        "ObserverAPIConsumerMetaclass",
        "_GenericModelObserver",
        "action",
        "GenericAsyncAPIConsumer",
        "RetrieveModelMixin",
        "ModelObserver",
        "APIConsumerMetaclass",
        "database_sync_to_async",
        "status",
    ],
}


@pytest.mark.parametrize(
    ("module", "name"), [(module, name) for module, names in SURFACE.items() for name in names]
)
def test_name_is_importable_from_its_13_module(module, name):
    """``from <module> import <name>`` works as it does with 1.3."""
    assert getattr(importlib.import_module(module), name) is not None


def test_the_action_decorator_users_import_from_observer_generics_is_the_real_one():
    """``observer.generics.action`` is the ``@action()`` decorator."""
    from djangochannelsrestframework.decorators import action
    from djangochannelsrestframework.observer.generics import action as observer_action

    assert observer_action is action


def test_action_enum_values_are_the_13_strings():
    """``Action`` members carry the wire strings."""
    from djangochannelsrestframework.observer.model_observer import Action

    assert [a.value for a in Action] == ["create", "update", "delete"]


@pytest.mark.parametrize("module", ["djangochannelsrestframework.consumers"])
def test_star_import_brings_the_13_public_classes(module):
    """``from ...consumers import *`` gives the view adapter too (1.3 had no ``__all__``, so
    every public name came with it)."""
    namespace: dict = {}
    exec(f"from {module} import *", namespace)
    assert {"AsyncAPIConsumer", "DjangoViewAsConsumer", "view_as_consumer"} <= set(namespace)
