"""Two model observers on User that nobody subscribes to (workload "observers idle").

Importing this module registers them; the list workload then measures what they cost
on reads where nobody listens.
"""

from django.contrib.auth.models import User

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer import model_observer


class IdleObserversConsumer(GenericAsyncAPIConsumer):
    queryset = User.objects.all()

    @model_observer(User)
    async def user_activity(self, message, observer=None, **kwargs):
        await self.send_json(message)

    @model_observer(User)
    async def user_audit(self, message, observer=None, **kwargs):
        await self.send_json(message)
