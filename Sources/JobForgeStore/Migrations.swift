import Foundation
import GRDB

extension SQLiteStore {
    /// Every schema change, in order. Never edit a shipped migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerCoreMigrations(&migrator)
        registerTitlesMigrations(&migrator)
        registerONetMigrations(&migrator)
        registerLLMMigrations(&migrator)
        registerTBSMigrations(&migrator)
        return migrator
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
}
