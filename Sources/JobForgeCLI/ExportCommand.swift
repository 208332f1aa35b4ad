import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeStore

/// `jobforge export`: tables for Power BI, SQL and spreadsheets.
public struct ExportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a long table with full provenance and one wide table per category (CSV or JSON).",
        discussion: """
            Files: cells.csv (one row per cell, its winning value and full provenance), \
            <category>.csv (one row per subject, a column per descriptor plus <descriptor>__source \
            and <descriptor>__confidence), overrides.csv (the override log). CSV is RFC 4180, UTF-8 \
            with a byte-order mark so that Excel reads it right.
            """
    )

    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case csv, json }

    @Option(name: .long, help: "csv or json.")
    public var format: Format = .csv

    @Option(name: .long, help: ArgumentHelp("The folder to write into (created if needed).", valueName: "dir"))
    public var out: String

    @Flag(name: .long, help: "In the long table, every candidate (winning or not) instead of the winners only.")
    public var allCandidates = false

    @OptionGroup public var filters: FilterOptions
    @OptionGroup public var store: StoreOptions

    public init() {}

    public func run() async throws {
        let db = try store.openExistingStore()
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let exporter = Exporter(store: db, filter: try filters.filter(), format: format, folder: folder,
                                allCandidates: allCandidates)
        let written = try exporter.run()
        for file in written { print("wrote \(file.path) (\(file.rows) rows)") }
    }
}

/// Writes the export files. Kept apart from the command so benchmarks and tests can call it.
public struct Exporter {
    public struct Written: Sendable { public var path: String; public var rows: Int }

    let store: SQLiteStore
    let filter: CellFilter
    let format: ExportCommand.Format
    let folder: URL
    let allCandidates: Bool

    public init(store: SQLiteStore, filter: CellFilter, format: ExportCommand.Format, folder: URL, allCandidates: Bool = false) {
        self.store = store
        self.filter = filter
        self.format = format
        self.folder = folder
        self.allCandidates = allCandidates
    }

    static let longColumns = [
        "subject_kind", "subject_code", "subject_label", "descriptor_code", "descriptor_name", "category", "dimension",
        "value", "text_value", "scale", "source", "precedence", "method", "source_level", "confidence", "source_ids",
        "release", "run_id", "observed_at", "is_winner", "rationale", "metadata",
    ]

    public func run() throws -> [Written] {
        let labels = try store.subjectLabels()
        var cells: [CellValue] = []
        try store.forEachWinner(filter: filter) { cells.append($0) }
        var written: [Written] = []

        // The long table.
        var longRows: [[String]] = []
        if allCandidates {
            try store.forEachCandidate(filter: filter) { cell, isWinner in longRows.append(Self.longRow(cell, labels, isWinner)) }
        } else {
            longRows = cells.map { Self.longRow($0, labels, true) }
        }
        written.append(try write(name: "cells", columns: Self.longColumns, rows: longRows))

        // One wide table per category, columns in guide order.
        let byCategory = Dictionary(grouping: cells, by: \.category)
        let categoryOrder = Category.allCases.map(\.rawValue) + byCategory.keys.filter { Category(rawValue: $0) == nil }.sorted()
        for category in categoryOrder {
            guard let categoryCells = byCategory[category] else { continue }
            var columnOrder: [String] = []
            var columnSeen = Set<String>()
            var rowsBySubject: [Subject: [String: CellValue]] = [:]
            var subjectOrder: [Subject] = []
            for cell in categoryCells {
                let column = Self.columnName(cell)
                if columnSeen.insert(column).inserted { columnOrder.append(column) }
                if rowsBySubject[cell.subject] == nil { subjectOrder.append(cell.subject) }
                rowsBySubject[cell.subject, default: [:]][column] = cell
            }
            var header = ["subject_kind", "subject_code", "subject_label"]
            for column in columnOrder { header += [column, column + "__source", column + "__confidence"] }
            let rows = subjectOrder.map { subject -> [String] in
                var row = [subject.kind.rawValue, subject.code, labels[subject] ?? ""]
                let values = rowsBySubject[subject]!
                for column in columnOrder {
                    if let cell = values[column] {
                        row += [cell.text ?? Formatting.number(cell.value), cell.source.rawValue, String(format: "%.3f", cell.confidence)]
                    } else {
                        row += ["", "", ""]
                    }
                }
                return row
            }
            let slug = Category(rawValue: category)?.slug ?? category.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " }
                .replacingOccurrences(of: " ", with: "_")
            written.append(try write(name: slug, columns: header, rows: rows))
        }

        // The override log.
        let events = try store.allOverrides()
        let eventColumns = ["id", "subject_kind", "subject_code", "descriptor_code", "dimension", "old_candidate_id",
                            "new_candidate_id", "old_value", "new_value", "old_source", "new_source", "reason", "at", "run_id"]
        let eventRows = events.map { e in
            [String(e.id), e.key.subject.kind.rawValue, e.key.subject.code, e.key.descriptor, e.key.dimension.rawValue,
             e.oldCandidateID.map { String($0) } ?? "", String(e.newCandidateID), e.oldValue.map(Formatting.number) ?? "",
             Formatting.number(e.newValue), e.oldSource?.rawValue ?? "", e.newSource.rawValue, e.reason,
             Timestamp.string(e.at), e.runID]
        }
        written.append(try write(name: "overrides", columns: eventColumns, rows: eventRows))
        return written
    }

    /// `Time Pressure` for the main dimension, `Time Pressure (importance)` for another one.
    static func columnName(_ cell: CellValue) -> String {
        Formatting.isPrimary(cell) ? cell.descriptorName : "\(cell.descriptorName) (\(cell.dimension))"
    }

    static func longRow(_ cell: CellValue, _ labels: [Subject: String], _ isWinner: Bool) -> [String] {
        [cell.subject.kind.rawValue, cell.subject.code, labels[cell.subject] ?? "", cell.descriptorCode, cell.descriptorName,
         cell.category, cell.dimension, Formatting.number(cell.value), cell.text ?? "", cell.scale ?? "", cell.source.rawValue,
         String(cell.precedence), cell.method, cell.sourceLevel, String(format: "%.3f", cell.confidence),
         cell.sourceIDs.joined(separator: ";"), cell.release ?? "", cell.runID, Timestamp.string(cell.observedAt),
         isWinner ? "1" : "0", cell.rationale ?? "", cell.metadata.isEmpty ? "" : JSONText.object(cell.metadata)]
    }

    func write(name: String, columns: [String], rows: [[String]]) throws -> Written {
        switch format {
        case .csv:
            let url = folder.appendingPathComponent(name + ".csv")
            var text = CSVWriter.byteOrderMark + CSVWriter.line(columns)
            text.reserveCapacity(rows.count * 200)
            for row in rows { text += CSVWriter.line(row) }
            try Data(text.utf8).write(to: url, options: .atomic)
            return Written(path: url.path, rows: rows.count)
        case .json:
            let url = folder.appendingPathComponent(name + ".json")
            var text = "[\n"
            for (index, row) in rows.enumerated() {
                var object: [String] = []
                for (column, value) in zip(columns, row) { object.append(JSONText.quote(column) + ":" + JSONText.quote(value)) }
                text += "{" + object.joined(separator: ",") + "}" + (index + 1 < rows.count ? ",\n" : "\n")
            }
            text += "]\n"
            try Data(text.utf8).write(to: url, options: .atomic)
            return Written(path: url.path, rows: rows.count)
        }
    }
}
