-- Who answers for a case: the officer and the unit responsible for moving it on.
-- Free text (the officer need not hold an account); empty strings are refused, NULL means
-- nobody has been named yet.
ALTER TABLE clearance_cases
    ADD COLUMN responsible_officer text
        CHECK (responsible_officer IS NULL OR btrim(responsible_officer) <> ''),
    ADD COLUMN responsible_unit text
        CHECK (responsible_unit IS NULL OR btrim(responsible_unit) <> '');
CREATE INDEX ix_clearance_cases_responsible
    ON clearance_cases (responsible_unit, responsible_officer);
