import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport

/// A fresh store in a temporary folder that knows one descriptor, F01b02 Programming (a skill,
/// level 1-5 and importance 1-5): what the store's precedence tests write cells of.
enum ProgrammingStore {
    static func with(_ body: (SQLiteStore, String) throws -> Void, alsoInReferenceStep more: (StepWriter, String) throws -> Void = { _, _ in }) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("t.sqlite").path)
        let run = try store.beginRun(command: "test")
        try store.commitStep("reference", fingerprint: "test", runID: run) { writer in
            try writer.upsertDescriptors([Descriptor(code: "F01b02", name: "Programming", category: .skills,
                                                     structureType: .descriptor, parent: nil, definition: "Writing programs")],
                                         scales: [DescriptorScale(descriptorCode: "F01b02", dimension: .level, minimum: 1,
                                                                  maximum: 5, label: "proficiency", notApplicable: 0),
                                                  DescriptorScale(descriptorCode: "F01b02", dimension: .importance, minimum: 1,
                                                                  maximum: 5, label: "importance", notApplicable: nil)])
            try more(writer, run)
            return ""
        }
        try body(store, run)
    }

    /// Runs `body` as one step of its own (a fresh fingerprint each time, so it always runs).
    static func write(_ store: SQLiteStore, step: String, run: String,
                      _ body: (StepWriter) throws -> SubmitSummary) throws -> SubmitSummary {
        var summary = SubmitSummary()
        try store.commitStep(step, fingerprint: UUID().uuidString, runID: run) { writer in
            summary = try body(writer)
            return ""
        }
        return summary
    }
}
