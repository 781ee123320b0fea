"""Live lists: ``subscribe_list`` keeps a client's filtered, ordered, paginated list in sync.

``mixins.LiveListMixin`` is the consumer side (also importable from
``djangochannelsrestframework.mixins``); ``announce`` tells every process about committed
changes; ``engine`` re-evaluates each distinct list once per batch of changes;
``evaluate`` runs one list as ``list`` does; ``diff`` turns two states into change messages.
"""
