"""The database itself: the embedded PostgreSQL + PostGIS cluster (``cluster``), the engine
(``engine``), migrations (``migrate``; the revisions are in ``gis/migrations``, their SQL in
``gis/sql``), PostGIS checks (``postgis``), the boundary that turns driver errors into domain
errors (``translate``), backup and restore (``backup``), reference data (``seed``) and what
``/health`` reports (``status``)."""
