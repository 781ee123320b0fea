"""Django Channels REST Framework: DRF-style consumers for JSON over WebSockets.

Import from the submodules, as with Django REST framework: ``from
djangochannelsrestframework import mixins, permissions``; ``generics``, ``decorators``,
``observer`` and ``settings`` hold the rest.
"""

__version__ = "1.4.0"
