import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
@testable import JobForgeTitles

/// The real OaSIS labels, titles and NOC structure, read once for the whole target.
enum RealData {
    static let reference: ProfileReference = {
        do { return try ProfileReference.oasisFiles(dataDirectory: RepoPaths.data) } catch { fatalError("\(error)") }
    }()

    static let concordance: NOCConcordance = {
        do { return try NOCConcordance.shipped(dataDirectory: RepoPaths.data) } catch { fatalError("\(error)") }
    }()

    static let resolver = TitleResolver(reference: reference, concordance: concordance)
}

/// A store in a temporary folder, removed by `remove()`.
struct TemporaryStore {
    let directory: TemporaryDirectory
    let store: SQLiteStore

    init() throws {
        directory = try TemporaryDirectory(prefix: "jobforge-titles")
        store = try SQLiteStore(path: directory.path("store.sqlite").path, schemas: [TitlesSchema.self])
    }

    var catalog: TitleCatalog { TitleCatalog(store) }
    var importer: StoreImporter { StoreImporter(importer: TitleImporter(resolver: RealData.resolver), store: store) }

    func remove() { directory.remove() }
}

/// An importer that writes each import in a transaction of its own, as `titles import` does.
struct StoreImporter {
    let importer: TitleImporter
    let store: SQLiteStore

    func importData(_ data: Data, file: String, mapping: ColumnMapping = ColumnMapping(), strict: Bool = false) throws -> TitleImportSummary {
        try store.dbQueue.write { try importer.importData(data, file: file, mapping: mapping, strict: strict, in: $0) }
    }

    func importFile(_ url: URL, mapping: ColumnMapping = ColumnMapping(), strict: Bool = false) throws -> TitleImportSummary {
        try store.dbQueue.write { try importer.importFile(url, mapping: mapping, strict: strict, in: $0) }
    }
}

extension Data {
    /// Test CSV text as bytes; `bom` prefixes the UTF-8 byte-order mark.
    static func csv(_ text: String, bom: Bool = false) -> Data {
        Data(((bom ? "\u{FEFF}" : "") + text).utf8)
    }
}
