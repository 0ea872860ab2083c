"""Clearance cases outside the legal rules themselves: the case list and one case in full
(``queries``), the responsible officer (``owner``), bulk step updates from Excel
(``bulk_steps``), resettlement plots and allocations (``resettlement``), scanned documents
(``documents``) and the history views (``history``). The legal procedure (steps, time limits,
deadlines) is ``gis.workflow``; money per household is ``gis.compensation``."""
