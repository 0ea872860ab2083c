"""Field teams on tablets: the parcel under a GPS point and its card (``site``), an area
taken offline (``area``), the actions queued on the tablet received exactly once (``sync``)
and the conflicts a person resolves (``conflicts``). See ``docs/field.md``."""
