"""OGC API – Features: the published collections described as data (``collections``), their
extents, CRSs and queryables (``catalog``), request parameters (``params``) and the SQL that
streams their items as GeoJSON (``features``). The HTTP side is ``api/routers/ogc.py``."""
