"""What every other package stands on: settings (``settings``), the domain errors with their
machine codes and Vietnamese messages (``errors``), the domain vocabulary of steps, event kinds
and labels (``domain``, ``landuse``), the coordinate systems (``crs``), the calendar of
holidays, Tết and local days (``calendar``), text and number formatting (``text``) and the
shared look-ups every package needs (``lookups``: a project by its code). Nothing here
depends on another ``gis`` package except ``gis.models`` for the look-ups."""
