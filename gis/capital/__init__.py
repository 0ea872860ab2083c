"""Project capital disbursement (giải ngân): writing plan revisions, disbursements, the
investor's monthly targets and the national average (``disbursement``) and reading the
figures as of a day (``figures``). All four tables are append-only (revision 0005)."""
