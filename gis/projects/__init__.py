"""Projects as a register: the list with its headline figures (``listing``) and creating and
editing projects and their province-set deadlines (``admin``). Progress figures over time are
``gis.progress``; the steering committee's view of key projects is ``gis.committee``."""
