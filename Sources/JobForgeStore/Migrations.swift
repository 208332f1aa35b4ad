import Foundation
import GRDB

/// The engine's own tables: runs, steps, releases, the reference tables, subjects, provenance,
/// candidates, the override log, the two packed layers and the `title_resolution` contract.
public enum EngineSchema: StoreSchema {
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        registerCoreMigrations(&migrator)
        registerCompactCellsMigration(&migrator)
        ONetLayer.registerMigration(&migrator)
        registerTitleResolutionMigration(&migrator)
        registerAskedContextMigration(&migrator)
        PublishedModel.registerMigration(&migrator)
        PublishedModel.registerMetadataMigration(&migrator)
    }

    /// v5: answers tied to what was asked. `subject_context` holds each subject's current context
    /// as its source defines it (a job title's text, codes and profile, written by Titles in the
    /// same transaction as the title); a candidate's `asked_context` is the context it was
    /// produced for, and it counts only while the two agree (`CascadeGraph.counts`). When a
    /// title changes, its answers stop winning and the cell may be left without a value: the
    /// override log then records a withdrawal, with no new value or source.
    static func registerAskedContextMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-asked-context") { db in
            try db.execute(sql: """
                ALTER TABLE candidate ADD COLUMN asked_context TEXT;
                CREATE TABLE subject_context (
                    kind TEXT NOT NULL,
                    code TEXT NOT NULL,
                    context TEXT NOT NULL,
                    PRIMARY KEY (kind, code)
                ) WITHOUT ROWID;
                CREATE TABLE override_event_v5 (
                    id INTEGER PRIMARY KEY,
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    old_candidate_id INTEGER REFERENCES candidate(id),
                    new_candidate_id INTEGER REFERENCES candidate(id),
                    old_value REAL,
                    new_value REAL,
                    old_source TEXT,
                    new_source TEXT,
                    reason TEXT NOT NULL,
                    at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id)
                );
                INSERT INTO override_event_v5 SELECT * FROM override_event;
                DROP TRIGGER override_event_no_update;
                DROP TRIGGER override_event_no_delete;
                DROP TABLE override_event;
                ALTER TABLE override_event_v5 RENAME TO override_event;
                CREATE INDEX override_event_cell ON override_event(subject_kind, subject_code, descriptor_code, dimension);
                CREATE TRIGGER override_event_no_update BEFORE UPDATE ON override_event
                    BEGIN SELECT RAISE(ABORT, 'override_event is append-only'); END;
                CREATE TRIGGER override_event_no_delete BEFORE DELETE ON override_event
                    BEGIN SELECT RAISE(ABORT, 'override_event is append-only'); END;
                """)
        }
    }

    /// v4: what the engine needs to know of a job title, as a table of its own: the profile a
    /// resolved title inherits from, with the resolution's method and confidence. Only resolved
    /// titles (`TitleInheritanceRule.Resolution.isResolved`) have a row, so "a title is
    /// resolved" is "it has a row here". The Titles source writes it in the same transaction as
    /// its titles (and fills it from its own table when a store is upgraded).
    static func registerTitleResolutionMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-title-resolution") { db in
            try db.execute(sql: """
                CREATE TABLE title_resolution (
                    title_id TEXT PRIMARY KEY,
                    profile_code TEXT NOT NULL,
                    method TEXT NOT NULL,
                    confidence REAL NOT NULL CHECK (confidence > 0),
                    unit_group_source TEXT,
                    fuzzy_score REAL
                );
                CREATE INDEX title_resolution_profile ON title_resolution(profile_code);
                """)
        }
    }

    static func registerCoreMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-core") { db in
            try db.execute(sql: """
                CREATE TABLE run (
                    id TEXT PRIMARY KEY,
                    command TEXT NOT NULL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    status TEXT NOT NULL DEFAULT 'running'
                );
                -- A release of a source and the files it was read from, with their SHA-256.
                CREATE TABLE release (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    name TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    loaded_at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id),
                    UNIQUE(source, fingerprint)
                );
                CREATE TABLE source_file (
                    release_id INTEGER NOT NULL REFERENCES release(id),
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    records INTEGER NOT NULL,
                    PRIMARY KEY (release_id, path)
                );
                -- A completed step of a run, keyed by what it read: a step whose inputs did not
                -- change is not done again.
                CREATE TABLE step (
                    name TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    completed_at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id),
                    summary TEXT
                );
                CREATE TABLE noc_class (
                    code TEXT PRIMARY KEY,
                    level INTEGER NOT NULL,
                    hierarchy TEXT NOT NULL,
                    title TEXT NOT NULL,
                    definition TEXT NOT NULL,
                    parent TEXT
                );
                CREATE TABLE profile (
                    code TEXT PRIMARY KEY,
                    unit_group TEXT NOT NULL,
                    label TEXT NOT NULL,
                    lead_statement TEXT
                );
                CREATE INDEX profile_unit_group ON profile(unit_group);
                -- The profile's texts: example titles, main duties, requirements, exclusions, ...
                CREATE TABLE profile_text (
                    profile_code TEXT NOT NULL REFERENCES profile(code),
                    kind TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    qualifier TEXT,
                    reference TEXT,
                    PRIMARY KEY (profile_code, kind, seq)
                );
                CREATE INDEX profile_text_kind ON profile_text(kind, profile_code);
                CREATE TABLE descriptor (
                    code TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    category TEXT NOT NULL,
                    structure_type TEXT NOT NULL,
                    parent TEXT,
                    definition TEXT NOT NULL,
                    origin TEXT NOT NULL DEFAULT 'oasis',
                    sort_key INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX descriptor_category ON descriptor(category);
                CREATE TABLE descriptor_scale (
                    descriptor_code TEXT NOT NULL REFERENCES descriptor(code),
                    dimension TEXT NOT NULL,
                    minimum REAL NOT NULL,
                    maximum REAL NOT NULL,
                    label TEXT NOT NULL,
                    not_applicable REAL,
                    position INTEGER NOT NULL DEFAULT 1,
                    PRIMARY KEY (descriptor_code, dimension)
                );
                -- How each column of a rating file was tied to a descriptor: the provenance of a rating
                -- is its profile (source_ids), this column and the release's file hash.
                CREATE TABLE rating_column (
                    file TEXT NOT NULL,
                    header TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    match TEXT NOT NULL,
                    PRIMARY KEY (file, header)
                );
                -- Every value ever offered for a cell, with its provenance. Never deleted.
                CREATE TABLE candidate (
                    id INTEGER PRIMARY KEY,
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    value REAL NOT NULL,
                    text_value TEXT,
                    source TEXT NOT NULL,
                    precedence INTEGER NOT NULL,
                    method TEXT NOT NULL,
                    source_level TEXT NOT NULL,
                    source_ids TEXT NOT NULL,
                    confidence REAL NOT NULL,
                    rationale TEXT,
                    release TEXT,
                    observed_at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id),
                    metadata TEXT,
                    is_winner INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX candidate_cell ON candidate(subject_kind, subject_code, descriptor_code, dimension);
                -- The append-only log of every change of a cell's winner.
                CREATE TABLE override_event (
                    id INTEGER PRIMARY KEY,
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    old_candidate_id INTEGER REFERENCES candidate(id),
                    new_candidate_id INTEGER NOT NULL REFERENCES candidate(id),
                    old_value REAL,
                    new_value REAL NOT NULL,
                    old_source TEXT,
                    new_source TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id)
                );
                CREATE INDEX override_event_cell ON override_event(subject_kind, subject_code, descriptor_code, dimension);
                CREATE TRIGGER override_event_no_update BEFORE UPDATE ON override_event
                    BEGIN SELECT RAISE(ABORT, 'override_event is append-only'); END;
                CREATE TRIGGER override_event_no_delete BEFORE DELETE ON override_event
                    BEGIN SELECT RAISE(ABORT, 'override_event is append-only'); END;
                CREATE TRIGGER candidate_no_delete BEFORE DELETE ON candidate
                    BEGIN SELECT RAISE(ABORT, 'candidates are never deleted'); END;
                """)
        }
    }

    /// v2: candidates in compact rows. A build stores about 650,000 candidates, and v1 repeated
    /// the subject, source, method, level, source ids, release, time and run as text in each one
    /// (about 450 bytes a row). v2 keeps each subject once (`subject`) and each distinct
    /// provenance once (`provenance`: one per profile and load, not per rating), so a candidate
    /// row holds only its cell, value, confidence and what is its own. `candidate_detail` is
    /// the v1 shape of the stored candidates, for readers of the SQL. OaSIS ratings move to a
    /// packed layer (`profile_rating`), from which unit group and title cells are derived.
    static func registerCompactCellsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-compact-cells") { db in
            try db.execute(sql: """
                CREATE TABLE subject (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    code TEXT NOT NULL,
                    UNIQUE(kind, code)
                );
                -- Who offered a value, how, from what and when: shared by every candidate of one load.
                CREATE TABLE provenance (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    precedence INTEGER NOT NULL,
                    method TEXT NOT NULL,
                    source_level TEXT NOT NULL,
                    source_ids TEXT NOT NULL,
                    release TEXT,
                    observed_at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id)
                );
                CREATE INDEX provenance_lookup ON provenance(run_id, source_ids);
                CREATE TABLE candidate_v2 (
                    id INTEGER PRIMARY KEY,
                    subject_id INTEGER NOT NULL REFERENCES subject(id),
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    value REAL NOT NULL,
                    text_value TEXT,
                    provenance_id INTEGER NOT NULL REFERENCES provenance(id),
                    confidence REAL NOT NULL,
                    rationale TEXT,
                    metadata TEXT,
                    is_winner INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO subject (kind, code) SELECT DISTINCT subject_kind, subject_code FROM candidate;
                INSERT INTO provenance (source, precedence, method, source_level, source_ids, release, observed_at, run_id)
                    SELECT DISTINCT source, precedence, method, source_level, source_ids, release, observed_at, run_id
                    FROM candidate;
                INSERT INTO candidate_v2 (id, subject_id, descriptor_code, dimension, value, text_value, provenance_id,
                                          confidence, rationale, metadata, is_winner)
                    SELECT c.id, s.id, c.descriptor_code, c.dimension, c.value, c.text_value, p.id, c.confidence,
                           c.rationale, c.metadata, c.is_winner
                    FROM candidate c
                    JOIN subject s ON s.kind = c.subject_kind AND s.code = c.subject_code
                    JOIN provenance p ON p.source = c.source AND p.method = c.method AND p.source_level = c.source_level
                        AND p.source_ids = c.source_ids AND p.release IS c.release AND p.observed_at = c.observed_at
                        AND p.run_id = c.run_id;
                DROP TRIGGER candidate_no_delete;
                DROP TABLE candidate;
                ALTER TABLE candidate_v2 RENAME TO candidate;
                CREATE INDEX candidate_cell ON candidate(subject_id, descriptor_code, dimension);
                CREATE TRIGGER candidate_no_delete BEFORE DELETE ON candidate
                    BEGIN SELECT RAISE(ABORT, 'candidates are never deleted'); END;
                -- The authoritative layer: a profile's ratings of one load in one packed row (see
                -- RatingLayer); unit groups and titles derive from it when read.
                CREATE TABLE profile_rating (
                    profile_code TEXT NOT NULL,
                    provenance_id INTEGER NOT NULL REFERENCES provenance(id),
                    cells INTEGER NOT NULL,
                    ratings TEXT NOT NULL,
                    PRIMARY KEY (profile_code, provenance_id)
                ) WITHOUT ROWID;
                CREATE TRIGGER profile_rating_no_delete BEFORE DELETE ON profile_rating
                    BEGIN SELECT RAISE(ABORT, 'ratings are never deleted'); END;
                -- A derived value has no candidate row: the ids of an override event become optional.
                CREATE TABLE override_event_v2 (
                    id INTEGER PRIMARY KEY,
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    old_candidate_id INTEGER REFERENCES candidate(id),
                    new_candidate_id INTEGER REFERENCES candidate(id),
                    old_value REAL,
                    new_value REAL NOT NULL,
                    old_source TEXT,
                    new_source TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at TEXT NOT NULL,
                    run_id TEXT NOT NULL REFERENCES run(id)
                );
                INSERT INTO override_event_v2 SELECT * FROM override_event;
                DROP TRIGGER override_event_no_update;
                DROP TRIGGER override_event_no_delete;
                DROP TABLE override_event;
                ALTER TABLE override_event_v2 RENAME TO override_event;
                CREATE INDEX override_event_cell ON override_event(subject_kind, subject_code, descriptor_code, dimension);
                CREATE TRIGGER override_event_no_update BEFORE UPDATE ON override_event
                    BEGIN SELECT RAISE(ABORT, 'override_event is append-only'); END;
                CREATE TRIGGER override_event_no_delete BEFORE DELETE ON override_event
                    BEGIN SELECT RAISE(ABORT, 'override_event is append-only'); END;
                -- Profile texts in one B-tree keyed as they are read (by profile, kind, order): ~50,000
                -- rows per load, so one index less to write; reading one kind scans, which is cheap.
                CREATE TABLE profile_text_v2 (
                    profile_code TEXT NOT NULL REFERENCES profile(code),
                    kind TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    qualifier TEXT,
                    reference TEXT,
                    PRIMARY KEY (profile_code, kind, seq)
                ) WITHOUT ROWID;
                INSERT INTO profile_text_v2 SELECT profile_code, kind, seq, text, qualifier, reference FROM profile_text;
                DROP TABLE profile_text;
                ALTER TABLE profile_text_v2 RENAME TO profile_text;
                -- v1 stored unit group and title cells that v2 derives: the next build does every step again.
                DELETE FROM step;
                CREATE VIEW candidate_detail AS
                    SELECT c.id, s.kind AS subject_kind, s.code AS subject_code, c.descriptor_code, c.dimension, c.value,
                           c.text_value, p.source, p.precedence, p.method, p.source_level, p.source_ids, c.confidence,
                           c.rationale, p.release, p.observed_at, p.run_id, c.metadata, c.is_winner
                    FROM candidate c
                    JOIN subject s ON s.id = c.subject_id
                    JOIN provenance p ON p.id = c.provenance_id;
                """)
        }
    }
}
