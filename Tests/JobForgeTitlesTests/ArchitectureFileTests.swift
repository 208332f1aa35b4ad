import Foundation
import Testing
import JobForgeCore
import JobForgeTestSupport
@testable import JobForgeTitles

/// The files users save from Excel and LibreOffice (made by scripts/make-architecture-fixtures.sh):
/// every encoding, delimiter and the workbook give the same titles, accents and zeros kept.
@Suite struct ArchitectureFileTests {
    static let folder = RepoPaths.fixtures.appendingPathComponent("architectures")

    func parse(_ name: String, _ format: ArchitectureFileFormat = ArchitectureFileFormat()) throws -> (ArchitectureTable, ParsedArchitecture) {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(name))
        let table = try format.read(data, file: name)
        let parser = ArchitectureParser(unitGroups: RealData.resolver.unitGroups, concordance: RealData.concordance)
        return (table, try parser.parse(table, file: name))
    }

    /// What the workbook's first sheet holds, as the person who typed it sees it.
    static let expectedTitles: [(id: String, titleFR: String, noc: String, headcount: String, notes: String)] = [
        ("FX-01", "Parlementaire élu", "00010", "8", "Coût : 12 € par « séance »"),
        ("FX-02", "Cadre supérieur de l’administration publique", "00011", "3", "“Curly” quotes; œuvre, façade"),
        ("FX-03", "Gestionnaire des contrats d’achat", "10012", "33", "Budget, contrats; achats"),
        ("FX-04", "Gestionnaire des assurances", "10020", "19", "Œuvres sociales – 5 €"),
    ]

    @Test(arguments: [
        ("architecture.xlsx", "Excel workbook, sheet \"Titles\""),
        ("architecture-windows1252.csv", "Windows-1252 (detected), comma-delimited (detected)"),
        ("architecture-semicolon.csv", "Windows-1252 (detected), semicolon-delimited (detected)"),
        ("architecture-tab.tsv", "UTF-8 (detected), tab-delimited (detected)"),
        ("architecture-utf16.txt", "UTF-16 (detected), tab-delimited (detected)"),
    ])
    func everyFormatGivesTheSameTitles(file: String, description: String) throws {
        let (table, parsed) = try parse(file)
        #expect(table.description == description)
        #expect(parsed.badRows.isEmpty)
        #expect(parsed.titles.count == Self.expectedTitles.count)
        for (title, expected) in zip(parsed.titles, Self.expectedTitles) {
            #expect(title.id == expected.id)
            #expect(title.titleFR == expected.titleFR)
            #expect(title.noc2021 == expected.noc)
            #expect(title.extra == ["Headcount": expected.headcount, "Notes": expected.notes])
        }
        // Codes typed as text or shown with the format 00000 need no warning.
        #expect(parsed.warnings.isEmpty)
        #expect(parsed.titles.map(\.sourceLine) == [2, 3, 4, 5])
    }

    @Test func namedEncodingAndDelimiterOverrideDetection() throws {
        let (table, parsed) = try parse("architecture-semicolon.csv", ArchitectureFileFormat(encoding: .windows1252, delimiter: ";"))
        #expect(table.description == "Windows-1252, semicolon-delimited")
        #expect(parsed.titles.map(\.titleFR) == Self.expectedTitles.map(\.titleFR))
        // Forced to a comma, the semicolon file has one column and no title column.
        #expect(throws: InputError.self) { try parse("architecture-semicolon.csv", ArchitectureFileFormat(delimiter: ",")) }
    }

    @Test func windows1252NamedAsUTF8SaysWhichLineAndHowToSave() throws {
        let error = try #require(throws: InputError.self) {
            try parse("architecture-windows1252.csv", ArchitectureFileFormat(encoding: .utf8))
        }
        #expect(error.line == 2)
        #expect(error.message.contains("CSV UTF-8"))
        #expect(error.message.contains("--encoding windows-1252"))
    }

    @Test func bytesNeitherUTF8NorWindows1252AreRefusedWithHowToSave() throws {
        // 0x81 is undefined in Windows-1252, and alone it is not UTF-8.
        let data = Data("title,noc\nA,21211\nB\u{1},21211\n".utf8.map { $0 == 1 ? 0x81 : $0 })
        let error = try #require(throws: InputError.self) { try ArchitectureFileFormat().read(data, file: "odd.csv") }
        #expect(error.line == 3)
        #expect(error.description.hasPrefix("odd.csv:3:"))
        #expect(error.message.contains("Save As"))
    }

    @Test func secondSheetByNameAndCodesTypedAsPlainNumbersArePaddedWithAWarning() throws {
        let (table, parsed) = try parse("architecture.xlsx", ArchitectureFileFormat(sheet: "Archive"))
        #expect(table.description == "Excel workbook, sheet \"Archive\"")
        #expect(parsed.titles.map(\.title) == ["Senior managers - financial services", "Directeur d’école"])
        #expect(parsed.titles.map(\.noc2021) == ["00012", "00013"])
        #expect(parsed.warnings.map(\.line) == [2])
        #expect(parsed.warnings.first?.message.contains("00012") == true)
        let missing = try #require(throws: InputError.self) { try parse("architecture.xlsx", ArchitectureFileFormat(sheet: "Nope")) }
        #expect(missing.message.contains("\"Titles\", \"Archive\""))
    }

    @Test func inlineStringsWithoutASharedStringsPartAsExportToolsWriteThem() throws {
        let (table, parsed) = try parse("architecture-inline-strings.xlsx")
        #expect(table.description == "Excel workbook, sheet \"Export\"")
        #expect(parsed.titles.map(\.id) == ["IS-1", "IS-2", "7"])
        #expect(parsed.titles.map(\.title) == ["Data scientist", "Historienne d’art", "Legislators"])
        #expect(parsed.titles.map(\.noc2021) == ["21211", "00010", "00010"])
        #expect(parsed.warnings.map(\.line) == [4], "only the code typed as a number is padded with a warning")
    }

    @Test func damagedAndPasswordProtectedWorkbooksSayWhatToDo() throws {
        let truncated = try #require(throws: InputError.self) { try parse("architecture-truncated.xlsx") }
        #expect(truncated.file == "architecture-truncated.xlsx")
        #expect(truncated.message.contains("damaged or incomplete"))
        let locked = try #require(throws: InputError.self) { try parse("architecture-password.xlsx") }
        #expect(locked.file == "architecture-password.xlsx")
        #expect(locked.message.hasPrefix("password-protected workbook: save it without a password"))
    }
}
