-- The provincial steering committee (Ban Chỉ đạo) for key projects, revision 0014.
-- The key-project register, the plans and the task log are append-only history: adding,
-- changing or removing a project is a new dated change; a revised plan is a new revision;
-- a task's progress and its completion are new updates. Tasks themselves are working rows
-- (version-checked, audited) whose current state follows their updates.

-- Who answers for what: units (the standing agency, investors, land fund centres,
-- departments, communes) and committee members; users act for a unit or are a member.
CREATE TABLE committee_units (
    id          serial PRIMARY KEY,
    code        varchar(32) NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]*$'),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    kind        text NOT NULL CHECK (kind IN ('standing_agency', 'investor', 'land_fund',
                                              'department', 'commune', 'other')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- One standing agency (cơ quan thường trực) at most.
CREATE UNIQUE INDEX uq_committee_units_standing ON committee_units ((true))
    WHERE kind = 'standing_agency';

CREATE TABLE committee_members (
    id          serial PRIMARY KEY,
    full_name   text NOT NULL CHECK (btrim(full_name) <> ''),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    position    text NOT NULL CHECK (position IN ('chair', 'vice_chair', 'member')),
    unit_id     integer REFERENCES committee_units (id),
    user_id     integer UNIQUE REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE committee_unit_users (
    unit_id     integer NOT NULL REFERENCES committee_units (id) ON DELETE CASCADE,
    user_id     integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, user_id)
);

-- A change of the key-project list of a year: the project added (with its group,
-- investor, responsible member and unit, communes), changed, or removed, by a document.
-- The list as of day D: per project the latest revision decided on or before D.
CREATE TABLE key_project_changes (
    id             bigserial PRIMARY KEY,
    project_id     integer NOT NULL REFERENCES projects (id),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    revision       integer NOT NULL CHECK (revision > 0),
    action         text    NOT NULL CHECK (action IN ('add', 'change', 'remove')),
    project_group  text    NOT NULL CHECK (project_group IN ('state_budget', 'ppp',
                                                             'non_budget')),
    investor       text    NOT NULL CHECK (btrim(investor) <> ''),
    member_id      integer REFERENCES committee_members (id),
    unit_id        integer REFERENCES committee_units (id),
    commune_codes  varchar(5)[] NOT NULL DEFAULT '{}',
    decision_no    text    NOT NULL CHECK (btrim(decision_no) <> ''),
    decision_date  date    NOT NULL,
    note           text,
    recorded_by    integer REFERENCES users (id),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_key_project_changes_project_id UNIQUE (project_id, year, revision)
);
CREATE INDEX ix_key_project_changes_year ON key_project_changes (year, project_id);

-- A revision of a key project's plan for a year (kế hoạch chi tiết theo tháng), and its
-- months: cumulative targets to each month's end. A quarter's plan is its last month's.
CREATE TABLE committee_plans (
    id             bigserial PRIMARY KEY,
    project_id     integer NOT NULL REFERENCES projects (id),
    year           integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    revision       integer NOT NULL CHECK (revision > 0),
    submitted_on   date    NOT NULL,
    document_no    text,
    note           text,
    recorded_by    integer REFERENCES users (id),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_committee_plans_project_id UNIQUE (project_id, year, revision)
);

CREATE TABLE committee_plan_months (
    plan_id                 bigint  NOT NULL REFERENCES committee_plans (id),
    month                   integer NOT NULL CHECK (month BETWEEN 1 AND 12),
    handed_over_ha          numeric(12, 4) NOT NULL CHECK (handed_over_ha >= 0),
    households_paid         integer NOT NULL CHECK (households_paid >= 0),
    households_handed_over  integer NOT NULL CHECK (households_handed_over >= 0),
    disbursed_vnd           bigint  NOT NULL CHECK (disbursed_vnd >= 0),
    PRIMARY KEY (plan_id, month)
);

-- A committee meeting (quarterly or ad hoc) and its conclusion notice.
CREATE TABLE committee_meetings (
    id              serial PRIMARY KEY,
    held_on         date NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('quarterly', 'ad_hoc')),
    title           text NOT NULL CHECK (btrim(title) <> ''),
    chair_id        integer REFERENCES committee_members (id),
    notice_no       text,
    notice_date     date,
    recorded_by     integer REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- A conclusion as a task: who answers (unit, member), for which project, by when; done
-- with the evidence document. ``case_list`` names a live list of clearance cases.
CREATE TABLE committee_tasks (
    id              serial PRIMARY KEY,
    meeting_id      integer NOT NULL REFERENCES committee_meetings (id),
    seq             integer NOT NULL CHECK (seq > 0),
    body            text    NOT NULL CHECK (btrim(body) <> ''),
    project_id      integer REFERENCES projects (id),
    unit_id         integer NOT NULL REFERENCES committee_units (id),
    member_id       integer REFERENCES committee_members (id),
    due_on          date    NOT NULL,
    case_list       jsonb,
    done_on         date,
    evidence_no     text,
    evidence_date   date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CONSTRAINT uq_committee_tasks_meeting_id UNIQUE (meeting_id, seq),
    CONSTRAINT ck_committee_tasks_done_evidence CHECK (
        (done_on IS NULL) = (evidence_no IS NULL) AND (done_on IS NULL) = (evidence_date IS NULL))
);
CREATE INDEX ix_committee_tasks_unit_id ON committee_tasks (unit_id);

-- What happened to a task: progress notes, done (with evidence), reopened.
CREATE TABLE committee_task_updates (
    id              bigserial PRIMARY KEY,
    task_id         integer NOT NULL REFERENCES committee_tasks (id),
    kind            text    NOT NULL CHECK (kind IN ('progress', 'done', 'reopened')),
    occurred_on     date    NOT NULL,
    note            text,
    evidence_no     text,
    evidence_date   date,
    recorded_by     integer REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_committee_task_updates_task_id ON committee_task_updates (task_id);

CREATE TRIGGER tr_key_project_changes_append_only BEFORE UPDATE OR DELETE
    ON key_project_changes FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_key_project_changes_no_truncate BEFORE TRUNCATE ON key_project_changes
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_committee_plans_append_only BEFORE UPDATE OR DELETE ON committee_plans
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_committee_plans_no_truncate BEFORE TRUNCATE ON committee_plans
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_committee_plan_months_append_only BEFORE UPDATE OR DELETE
    ON committee_plan_months FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_committee_plan_months_no_truncate BEFORE TRUNCATE ON committee_plan_months
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_committee_task_updates_append_only BEFORE UPDATE OR DELETE
    ON committee_task_updates FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_committee_task_updates_no_truncate BEFORE TRUNCATE
    ON committee_task_updates FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON committee_tasks
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON committee_meetings
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON committee_members
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON committee_units
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
