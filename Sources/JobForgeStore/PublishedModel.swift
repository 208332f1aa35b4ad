import Foundation
import GRDB
import JobForgeCore

/// One column of a published relation: its name, SQL type and what it means.
public struct PublishedColumn: Sendable, Equatable {
    public var name: String
    /// `TEXT`, `REAL` or `INTEGER` (booleans are INTEGER 0/1; codes are always TEXT).
    public var sqlType: String
    public var meaning: String

    public init(_ name: String, _ sqlType: String, _ meaning: String) {
        self.name = name
        self.sqlType = sqlType
        self.meaning = meaning
    }
}

/// A table or view of the published model: what an analyst's SQL (and `jobforge publish`) reads.
///
/// ```swift
/// let cells = PublishedModel.relations.first { $0.name == "fact_cell" }!
/// cells.primaryKey        // ["subject_kind", "subject_code", "descriptor_code", "dimension"]
/// cells.subjectColumns    // ["subject_kind", "subject_code"]: rows of a changed subject are replaced together
/// ```
public struct PublishedRelation: Sendable, Equatable {
    public enum Kind: String, Sendable { case table, view }

    public var name: String
    public var kind: Kind
    public var meaning: String
    public var columns: [PublishedColumn]
    /// The columns that identify a row (a view's logical key).
    public var primaryKey: [String]
    /// The columns naming the subject a row belongs to, by which an incremental publisher
    /// replaces rows (see ``PublishedModel`` for the change-tracking contract); empty for a
    /// relation that is republished whole (small reference data: descriptors).
    public var subjectColumns: [String]
    /// The module whose migrations create it.
    public var owner: String

    public init(name: String, kind: Kind, meaning: String, columns: [PublishedColumn], primaryKey: [String],
                subjectColumns: [String], owner: String) {
        self.name = name
        self.kind = kind
        self.meaning = meaning
        self.columns = columns
        self.primaryKey = primaryKey
        self.subjectColumns = subjectColumns
        self.owner = owner
    }
}

/// The published model: typed tables and views inside the store that answer an analyst's
/// questions in one SELECT each (`docs/DATA-MODEL.md`), kept current by every write in the
/// write's own transaction.
///
/// How it stays current: unit-group and profile cells (a few hundred thousand rows) are
/// materialized in `model_candidate`; triggers on the layers and candidates mark the subjects a
/// write touches (`model_dirty`), and ``refresh(_:)`` re-derives exactly those before the
/// transaction commits (`commitStep`, `submit`, migration). Job-title cells (65 million at
/// 200,000 titles) are a view: the title's resolution joined to its profile's materialized rows,
/// plus the title's own stored candidates, so a titles import writes nothing here but its
/// resolutions.
///
/// Change tracking, for incremental publishers:
///
/// ```sql
/// -- in one read transaction:
/// SELECT generation FROM model_state;                                   -- G_now
/// SELECT subject_kind, subject_code FROM model_change WHERE generation > :G_last;
/// SELECT DISTINCT title_id FROM model_title_change WHERE generation > :G_last;
/// -- replace those subjects' rows (a subject with no rows left was removed); then G_last = G_now
/// ```
///
/// Every committed change of a subject's rows sets its `model_change.generation` above the
/// `model_state.generation` of the transaction that wrote it, and `model_state.generation` only
/// grows, so the query above never misses a change (at worst it returns a subject again).
/// A title's rows change when its resolution, its own candidates, its record or its profile's
/// cells change: `model_title_change` joins the last through the current resolution.
public enum PublishedModel {
    /// The engine's relations (the Titles source adds `dim_title`, `dim_subject`, `title_coverage`).
    public static let relations: [PublishedRelation] = [descriptorDimension, candidateFacts, cellFacts, overrideFacts,
                                                        changes, titleChanges, state]

    static let cellColumns: [PublishedColumn] = [
        .init("subject_kind", "TEXT", "unit_group, profile or title"),
        .init("subject_code", "TEXT", "21211, 21211.00, or the title's id"),
        .init("descriptor_code", "TEXT", "the descriptor (dim_descriptor.descriptor_code)"),
        .init("dimension", "TEXT", "level, importance, frequency, duration, context, interest_rank"),
        .init("value", "REAL", "the value on the descriptor's scale (OaSIS 0 = not applicable is a value)"),
        .init("text_value", "TEXT", "the value as the source wrote it when not just a number (a Holland letter), else NULL"),
        .init("source", "TEXT", "authoritative, onet or llm"),
        .init("precedence", "INTEGER", "3 authoritative, 2 onet, 1 llm: the higher wins, then the newer"),
        .init("method", "TEXT", "oasis_rating, inherited, single_profile, main_profile, profile_mean, onet_rating, onet_mean, llm_imputation, ..."),
        .init("source_level", "TEXT", "L5, L6 or L7: the level the value was taken from"),
        .init("source_ids", "TEXT", "JSON array of what it was read from (profile codes, O*NET-SOC codes, a request id)"),
        .init("confidence", "REAL", "0-1; a title's inherited value: the source's confidence x the resolution's"),
        .init("rationale", "TEXT", "why (an LLM's rationale, an inheritance note), or NULL"),
        .init("release", "TEXT", "the release (OaSIS 2023 v1.0, O*NET 29.3, a model name), or NULL"),
        .init("observed_at", "TEXT", "when the value was produced (ISO 8601 UTC); orders candidates of one precedence"),
        .init("run_id", "TEXT", "the run that wrote it (run.id)"),
        .init("candidate_id", "INTEGER", "the stored candidate's id (candidate.id), NULL for a value derived when read"),
        .init("is_winner", "INTEGER", "1 for the cell's winner, else 0"),
    ]

    static let descriptorDimension = PublishedRelation(
        name: "dim_descriptor", kind: .view,
        meaning: "every descriptor with each dimension it is rated on and that scale's bounds",
        columns: [
            .init("descriptor_code", "TEXT", "A01a02, or an O*NET element id for an O*NET-only descriptor"),
            .init("name", "TEXT", "the descriptor's name"),
            .init("category", "TEXT", "Skills, Abilities, Personal Attributes, Knowledge, Work Activities, Work Context, Interests"),
            .init("dimension", "TEXT", "the dimension rated on this scale"),
            .init("scale_label", "TEXT", "the scale's name"),
            .init("scale_minimum", "REAL", "the scale's lowest value"),
            .init("scale_maximum", "REAL", "the scale's highest value"),
            .init("not_applicable", "REAL", "the value meaning 'not applicable', or NULL"),
            .init("definition", "TEXT", "the guide's definition"),
            .init("parent_code", "TEXT", "the parent in the guide's hierarchy, or NULL"),
            .init("origin", "TEXT", "oasis or onet"),
            .init("sort_key", "INTEGER", "the guide's order"),
        ],
        primaryKey: ["descriptor_code", "dimension"], subjectColumns: [], owner: "JobForgeStore")

    static let candidateFacts = PublishedRelation(
        name: "fact_candidate", kind: .view,
        meaning: "every candidate of every cell (derived and stored), the winner marked; titles' through their resolution",
        columns: cellColumns,
        primaryKey: ["subject_kind", "subject_code", "descriptor_code", "dimension", "source", "observed_at", "candidate_id"],
        subjectColumns: ["subject_kind", "subject_code"], owner: "JobForgeStore")

    static let cellFacts = PublishedRelation(
        name: "fact_cell", kind: .view,
        meaning: "the winning value of every filled cell: fact_candidate WHERE is_winner = 1",
        columns: cellColumns,
        primaryKey: ["subject_kind", "subject_code", "descriptor_code", "dimension"],
        subjectColumns: ["subject_kind", "subject_code"], owner: "JobForgeStore")

    static let overrideFacts = PublishedRelation(
        name: "fact_override", kind: .view,
        meaning: "the append-only override log: every change of a cell's winner",
        columns: [
            .init("event_id", "INTEGER", "the event's id, in order of writing"),
            .init("subject_kind", "TEXT", "unit_group, profile or title"),
            .init("subject_code", "TEXT", "the subject's code or id"),
            .init("descriptor_code", "TEXT", "the descriptor"),
            .init("dimension", "TEXT", "the dimension"),
            .init("old_value", "REAL", "the value replaced, NULL when the cell was empty"),
            .init("new_value", "REAL", "the new value, NULL when an answer was withdrawn"),
            .init("old_source", "TEXT", "its source"),
            .init("new_source", "TEXT", "the new value's source, NULL when withdrawn"),
            .init("old_candidate_id", "INTEGER", "candidate.id replaced, NULL for a derived value"),
            .init("new_candidate_id", "INTEGER", "candidate.id that won, NULL for a derived value"),
            .init("reason", "TEXT", "why, in the precedence rule's words"),
            .init("at", "TEXT", "when (ISO 8601 UTC)"),
            .init("run_id", "TEXT", "the run that caused it"),
        ],
        primaryKey: ["event_id"], subjectColumns: ["subject_kind", "subject_code"], owner: "JobForgeStore")

    static let changes = PublishedRelation(
        name: "model_change", kind: .table,
        meaning: "the generation in which each subject's rows last changed",
        columns: [
            .init("subject_kind", "TEXT", "unit_group, profile or title"),
            .init("subject_code", "TEXT", "the subject's code or id"),
            .init("generation", "INTEGER", "above the model_state.generation current when the change was written"),
        ],
        primaryKey: ["subject_kind", "subject_code"], subjectColumns: ["subject_kind", "subject_code"], owner: "JobForgeStore")

    static let titleChanges = PublishedRelation(
        name: "model_title_change", kind: .view,
        meaning: "titles whose rows changed, directly or through their profile's cells (a title may appear more than once)",
        columns: [
            .init("title_id", "TEXT", "the title's id"),
            .init("generation", "INTEGER", "as model_change.generation"),
        ],
        primaryKey: [], subjectColumns: ["title_id"], owner: "JobForgeStore")

    static let state = PublishedRelation(
        name: "model_state", kind: .table,
        meaning: "one row: the model's generation, which only grows",
        columns: [.init("generation", "INTEGER", "the last generation completed")],
        primaryKey: [], subjectColumns: [], owner: "JobForgeStore")
}
