import Foundation
import JobForgeCore

/// An O*NET database release read from its files: occupations, the rating files, the release name.
public struct ONetDatabase: Sendable {
    /// `O*NET 29.3`.
    public var releaseName: String
    public var occupations: [ONetOccupation]
    public var ratings: [ONetRating]
    /// The files read, with their SHA-256 and record counts (the release's fingerprint).
    public var files: [SourceFileRecord]
    /// Rating files of the release that were not there (e.g. `Work Context.txt` in the shipped subset).
    public var missingTables: [ONetRatingTable]

    public init(releaseName: String, occupations: [ONetOccupation], ratings: [ONetRating],
                files: [SourceFileRecord], missingTables: [ONetRatingTable]) {
        self.releaseName = releaseName
        self.occupations = occupations
        self.ratings = ratings
        self.files = files
        self.missingTables = missingTables
    }

    /// SHA-256 over the files' names and hashes: the same release loaded twice has the same one.
    public var fingerprint: String { ReleaseRecord(source: .onet, name: releaseName, files: files).fingerprint }

    public var titlesBySOC: [String: String] {
        Dictionary(occupations.map { ($0.code, $0.title) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Reads a release from a folder, or from the official zip (`db_29_3_text.zip`), which is unpacked
/// with the system's `unzip` into a temporary folder first.
public enum ONetDatabaseReader {
    /// Columns of the 13-column rating files (and Work Context's 14th, `Category`), by header name.
    static let requiredRatingColumns = ["O*NET-SOC Code", "Element ID", "Element Name", "Scale ID", "Data Value"]
    static let optionalRatingColumns = ["N", "Standard Error", "Lower CI Bound", "Upper CI Bound",
                                        "Recommend Suppress", "Not Relevant", "Date", "Domain Source", "Category"]

    public static func read(_ url: URL, tables: [ONetRatingTable] = ONetRatingTable.allCases) throws -> ONetDatabase {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw InputError(file: url.path, line: 0, message: "no such file or folder: give an O*NET database folder or its zip (db_29_3_text.zip)")
        }
        if isDirectory.boolValue { return try readFolder(findReleaseFolder(in: url), tables: tables) }
        guard url.pathExtension.lowercased() == "zip" else {
            throw InputError(file: url.path, line: 0, message: "not a folder nor a .zip: give an O*NET database folder or its zip (db_29_3_text.zip)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-onet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try unzip(url, into: scratch)
        var database = try readFolder(findReleaseFolder(in: scratch), tables: tables)
        if database.releaseName == ONetDatabaseReader.unknownRelease, let name = releaseName(fromFolderName: url.deletingPathExtension().lastPathComponent) {
            database.releaseName = name
        }
        return database
    }

    static let unknownRelease = "O*NET (unknown release)"

    /// The folder holding `Occupation Data.txt`: the given one or a folder below it (zips nest one level).
    static func findReleaseFolder(in url: URL) throws -> URL {
        let marker = "Occupation Data.txt"
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(marker).path) { return url }
        if let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) {
            for case let file as URL in enumerator where file.lastPathComponent == marker {
                return file.deletingLastPathComponent()
            }
        }
        throw InputError(file: url.path, line: 0, message: "no \"\(marker)\" in this folder or below: is it an O*NET database release (text layout)?")
    }

    static func unzip(_ zip: URL, into folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["unzip", "-q", "-o", zip.path, "-d", folder.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw InputError(file: zip.path, line: 0, message: "cannot run `unzip` (\(error.localizedDescription)): install it, or unpack the zip and give the folder")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw InputError(file: zip.path, line: 0, message: "unzip failed (status \(process.terminationStatus)): \(message.prefix(300))")
        }
    }

    /// `db_29_3_text` -> `O*NET 29.3`.
    static func releaseName(fromFolderName name: String) -> String? {
        let parts = name.lowercased().split(separator: "_")
        guard parts.count >= 3, parts[0] == "db", Int(parts[1]) != nil, Int(parts[2]) != nil else { return nil }
        return "O*NET \(parts[1]).\(parts[2])"
    }

    /// `Read Me.txt` starts `O*NET 29.3 Database`.
    static func releaseName(fromReadMe text: String) -> String? {
        guard let first = text.split(whereSeparator: \.isNewline).first else { return nil }
        let words = first.split(separator: " ")
        guard words.count >= 2, words[0].uppercased() == "O*NET", Double(words[1]) != nil else { return nil }
        return "O*NET \(words[1])"
    }

    public static func readFolder(_ folder: URL, tables: [ONetRatingTable] = ONetRatingTable.allCases) throws -> ONetDatabase {
        var releaseName: String?
        let readMe = folder.appendingPathComponent("Read Me.txt")
        if let data = try? Data(contentsOf: readMe) { releaseName = Self.releaseName(fromReadMe: String(decoding: data, as: UTF8.self)) }
        if releaseName == nil { releaseName = Self.releaseName(fromFolderName: folder.lastPathComponent) }

        let occupationsURL = folder.appendingPathComponent("Occupation Data.txt")
        var present: [(table: ONetRatingTable, url: URL)] = []
        var missing: [ONetRatingTable] = []
        for table in tables {
            let url = folder.appendingPathComponent(table.fileName)
            if FileManager.default.fileExists(atPath: url.path) { present.append((table, url)) } else { missing.append(table) }
        }
        // Every file is read up front and hashed on another thread while this one parses: SHA-256
        // of a release's 11 MB takes nearly as long as parsing them. A file that cannot be read
        // still fails when its turn comes, once the files before it have been parsed.
        let urls = [occupationsURL] + present.map(\.url)
        let contents = urls.map { url in Result { try Data(contentsOf: url) } }
        let hashed = contents.map { (try? $0.get()) ?? Data() }
        let digests = BlockingBackground { hashed.map { SHA256.hex($0) } }
        var records: [Int] = []

        let occupationsData = try contents[0].get()
        var occupations: [ONetOccupation] = []
        try TabularFile.forEachRow(occupationsData, file: occupationsURL.path, required: ["O*NET-SOC Code", "Title"],
                                   optional: ["Description"]) { row in
            guard let code = Codes.onetSOC(row.values[0] ?? "") else {
                throw InputError(file: occupationsURL.path, line: row.line, column: "O*NET-SOC Code", message: "\"\(row.values[0] ?? "")\" is not an O*NET-SOC code")
            }
            occupations.append(ONetOccupation(code: code, title: (row.values[1] ?? "").trimmingSpacesAndNBSP,
                                              description: (row.values[2] ?? "").trimmingSpacesAndNBSP))
        }
        records.append(occupations.count)

        var ratings: [ONetRating] = []
        // Room for all the ratings at once (rows take 75 to 100 bytes): the array is not copied as it grows.
        ratings.reserveCapacity(contents.dropFirst().reduce(0) { $0 + ((try? $1.get())?.count ?? 0) } / 64)
        for (offset, item) in present.enumerated() {
            let data = try contents[offset + 1].get()
            let before = ratings.count
            try readRatings(data, file: item.url.path, table: item.table, into: &ratings)
            records.append(ratings.count - before)
        }
        let sha256 = try digests.value()
        let files = urls.indices.map { SourceFileRecord(path: urls[$0].path, sha256: sha256[$0], records: records[$0]) }
        return ONetDatabase(releaseName: releaseName ?? unknownRelease, occupations: occupations, ratings: ratings,
                            files: files, missingTables: missing)
    }

    /// Parses one rating file (13 columns, or Work Context's 14 with `Category`; extra columns ignored).
    public static func readRatings(_ data: Data, file: String, table: ONetRatingTable, into ratings: inout [ONetRating]) throws {
        // Rows take 75 to 100 bytes: room for all of them, growing geometrically as `append` would.
        let needed = ratings.count + data.count / 64
        if needed > ratings.capacity { ratings.reserveCapacity(max(needed, ratings.capacity * 2)) }
        var parser = RatingRowParser(file: file, table: table)
        try TabularFile.forEachRawRow(data, file: file, required: requiredRatingColumns, optional: optionalRatingColumns) { row in
            ratings.append(try parser.rating(row))
        }
    }
}

/// Makes `ONetRating`s from the rows of a rating file with `ONetValue`'s rules. Numbers and flags
/// are read from the bytes; codes, names, scales, dates and sources are made once per distinct value.
/// A field outside the simple cases goes through the String functions, so values and errors
/// (file, line, column) are theirs.
private struct RatingRowParser {
    let file: String
    let table: ONetRatingTable

    /// Positions in `requiredRatingColumns + optionalRatingColumns`.
    private enum Column {
        static let soc = 0, elementID = 1, elementName = 2, scaleID = 3, value = 4, n = 5, standardError = 6
        static let lowerCI = 7, upperCI = 8, recommendSuppress = 9, notRelevant = 10, date = 11, domainSource = 12
        static let category = 13
    }
    private static let names = ONetDatabaseReader.requiredRatingColumns + ONetDatabaseReader.optionalRatingColumns

    private var codes = FieldMemo<String?>()
    private var elementIDs = FieldMemo<String?>()
    private var elementNames = FieldMemo<String?>()
    private var scales = FieldMemo<String?>()
    private var dates = FieldMemo<String?>()
    private var sources = FieldMemo<String?>()

    init(file: String, table: ONetRatingTable) {
        self.file = file
        self.table = table
    }

    mutating func rating(_ row: TabularFile.RawRow) throws -> ONetRating {
        let socBytes = row.field(Column.soc) ?? UnsafeBufferPointer(start: nil, count: 0)
        guard let soc = codes.value(socBytes, Codes.onetSOC) else {
            throw InputError(file: file, line: row.line, column: Self.names[Column.soc],
                             message: "\"\(row.string(Column.soc) ?? "")\" is not an O*NET-SOC code (NN-NNNN.NN)")
        }
        guard let elementID = Self.text(row, Column.elementID, &elementIDs) else {
            throw InputError(file: file, line: row.line, column: Self.names[Column.elementID], message: "the element id is empty")
        }
        let elementName = Self.text(row, Column.elementName, &elementNames) ?? ""
        guard let scale = Self.text(row, Column.scaleID, &scales) else {
            throw InputError(file: file, line: row.line, column: Self.names[Column.scaleID], message: "the scale id is empty")
        }
        // Arguments are evaluated in order: the first bad field of a row is the one reported, as before.
        return ONetRating(
            table: table, soc: soc, elementID: elementID, elementName: elementName, scaleID: scale,
            category: try int(row, Column.category) ?? 0,
            value: try double(row, Column.value),
            n: try int(row, Column.n),
            standardError: try double(row, Column.standardError),
            lowerCI: try double(row, Column.lowerCI),
            upperCI: try double(row, Column.upperCI),
            recommendSuppress: try flag(row, Column.recommendSuppress),
            notRelevant: try flag(row, Column.notRelevant),
            date: Self.text(row, Column.date, &dates), domainSource: Self.text(row, Column.domainSource, &sources))
    }

    private static func text(_ row: TabularFile.RawRow, _ column: Int, _ memo: inout FieldMemo<String?>) -> String? {
        guard let bytes = row.field(column) else { return nil }
        return memo.value(bytes, ONetValue.text)
    }

    private func double(_ row: TabularFile.RawRow, _ column: Int) throws -> Double? {
        guard let bytes = row.field(column) else { return nil }
        if let value = ONetValue.plainDouble(bytes) { return value }
        if ONetValue.isPlainEmpty(bytes) { return nil }
        return try ONetValue.double(String(decoding: bytes, as: UTF8.self), file: file, line: row.line, column: Self.names[column])
    }

    private func int(_ row: TabularFile.RawRow, _ column: Int) throws -> Int? {
        guard let bytes = row.field(column) else { return nil }
        if let value = ONetValue.plainInt(bytes) { return value }
        if ONetValue.isPlainEmpty(bytes) { return nil }
        return try ONetValue.int(String(decoding: bytes, as: UTF8.self), file: file, line: row.line, column: Self.names[column])
    }

    private func flag(_ row: TabularFile.RawRow, _ column: Int) throws -> Bool? {
        guard let bytes = row.field(column) else { return nil }
        if let value = ONetValue.plainFlag(bytes) { return value }
        if ONetValue.isPlainEmpty(bytes) { return nil }
        return try ONetValue.flag(String(decoding: bytes, as: UTF8.self), file: file, line: row.line, column: Self.names[column])
    }
}

/// Converts a field's bytes once per distinct value and hands out the same result afterwards: the
/// 120,000 rows of a release hold a few thousand distinct codes, element names, scales, dates and
/// sources, which then share one String each instead of making one per row.
private struct FieldMemo<Value> {
    /// ASCII texts only: Swift compares Strings by Unicode canonical equivalence, and two fields
    /// with other bytes (`é` composed or not) must not share a result.
    private var known: [String: Value] = [:]
    /// The field converted last, and its text: consecutive rows often repeat it (the code, the
    /// date, the source), and comparing bytes is cheaper than a lookup.
    private var last: (text: String, value: Value)?

    mutating func value(_ bytes: UnsafeBufferPointer<UInt8>, _ convert: (String) -> Value) -> Value {
        if let last, Self.same(last.text, bytes) { return last.value }
        let text = String(decoding: bytes, as: UTF8.self)
        let value: Value
        if let found = known[text] {
            value = found
        } else {
            value = convert(text)
            if bytes.allSatisfy({ $0 < 0x80 }) { known[text] = value }
        }
        last = (text, value)
        return value
    }

    private static func same(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.utf8.count == bytes.count else { return false }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return text.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, bytes.count) == 0 } ?? false
    }
}
