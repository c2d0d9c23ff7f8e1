"""The notebook side: the ``TaskTable`` widget (:mod:`.table`, over :mod:`.items`, :mod:`.row` and
:mod:`.refresher`) and the ``%claude`` magic (:mod:`.magic`)."""
