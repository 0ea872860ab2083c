"""Who may do what: user accounts and passwords (``accounts``), signing in with lockout and
revocable tokens (``logins``), the in-process session cache of the tile endpoint
(``session_cache``) and the one scope policy: which projects and communes a user may read and
change, and which personal fields (citizen ID, phone) are shown to whom (``scope``)."""
