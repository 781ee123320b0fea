"""``subscribe_instance`` on User through the library's ``ObserverModelInstanceMixin``.

Kept apart from ``consumers`` because defining it registers signal receivers on User,
which would tax every other workload.
"""

from django.contrib.auth.models import User

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from project.serializers import UserSerializer


class ObservedUserConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.all()
    serializer_class = UserSerializer
