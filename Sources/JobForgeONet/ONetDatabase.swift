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
    public var fingerprint: String { ReleaseRecord(source: "onet", name: releaseName, files: files).fingerprint }

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
        var files: [SourceFileRecord] = []
        var releaseName: String?
        let readMe = folder.appendingPathComponent("Read Me.txt")
        if let data = try? Data(contentsOf: readMe) { releaseName = Self.releaseName(fromReadMe: String(decoding: data, as: UTF8.self)) }
        if releaseName == nil { releaseName = Self.releaseName(fromFolderName: folder.lastPathComponent) }

        let occupationsURL = folder.appendingPathComponent("Occupation Data.txt")
        let occupationsData = try Data(contentsOf: occupationsURL)
        var occupations: [ONetOccupation] = []
        try TabularFile.forEachRow(occupationsData, file: occupationsURL.path, required: ["O*NET-SOC Code", "Title"],
                                   optional: ["Description"]) { row in
            guard let code = Codes.onetSOC(row.values[0] ?? "") else {
                throw InputError(file: occupationsURL.path, line: row.line, column: "O*NET-SOC Code", message: "\"\(row.values[0] ?? "")\" is not an O*NET-SOC code")
            }
            occupations.append(ONetOccupation(code: code, title: (row.values[1] ?? "").trimmingSpacesAndNBSP,
                                              description: (row.values[2] ?? "").trimmingSpacesAndNBSP))
        }
        files.append(SourceFileRecord(path: occupationsURL.path, sha256: SHA256.hex(occupationsData), records: occupations.count))

        var ratings: [ONetRating] = []
        var missing: [ONetRatingTable] = []
        for table in tables {
            let url = folder.appendingPathComponent(table.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else { missing.append(table); continue }
            let data = try Data(contentsOf: url)
            let before = ratings.count
            try readRatings(data, file: url.path, table: table, into: &ratings)
            files.append(SourceFileRecord(path: url.path, sha256: SHA256.hex(data), records: ratings.count - before))
        }
        return ONetDatabase(releaseName: releaseName ?? unknownRelease, occupations: occupations, ratings: ratings,
                            files: files, missingTables: missing)
    }

    /// Parses one rating file (13 columns, or Work Context's 14 with `Category`; extra columns ignored).
    public static func readRatings(_ data: Data, file: String, table: ONetRatingTable, into ratings: inout [ONetRating]) throws {
        let names = requiredRatingColumns + optionalRatingColumns
        try TabularFile.forEachRow(data, file: file, required: requiredRatingColumns, optional: optionalRatingColumns) { row in
            let v = row.values
            guard let soc = Codes.onetSOC(v[0] ?? "") else {
                throw InputError(file: file, line: row.line, column: names[0], message: "\"\(v[0] ?? "")\" is not an O*NET-SOC code (NN-NNNN.NN)")
            }
            guard let elementID = ONetValue.text(v[1]) else {
                throw InputError(file: file, line: row.line, column: names[1], message: "the element id is empty")
            }
            guard let scale = ONetValue.text(v[3]) else {
                throw InputError(file: file, line: row.line, column: names[3], message: "the scale id is empty")
            }
            ratings.append(ONetRating(
                table: table, soc: soc, elementID: elementID, elementName: ONetValue.text(v[2]) ?? "", scaleID: scale,
                category: try ONetValue.int(v[13], file: file, line: row.line, column: names[13]) ?? 0,
                value: try ONetValue.double(v[4], file: file, line: row.line, column: names[4]),
                n: try ONetValue.int(v[5], file: file, line: row.line, column: names[5]),
                standardError: try ONetValue.double(v[6], file: file, line: row.line, column: names[6]),
                lowerCI: try ONetValue.double(v[7], file: file, line: row.line, column: names[7]),
                upperCI: try ONetValue.double(v[8], file: file, line: row.line, column: names[8]),
                recommendSuppress: try ONetValue.flag(v[9], file: file, line: row.line, column: names[9]),
                notRelevant: try ONetValue.flag(v[10], file: file, line: row.line, column: names[10]),
                date: ONetValue.text(v[11]), domainSource: ONetValue.text(v[12])))
        }
    }
}
