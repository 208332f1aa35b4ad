import Foundation
import JobForgeCore
@testable import JobForgeTBS
import JobForgeTestSupport
import Testing

/// The real English page (Tests/Fixtures/tbs), read once.
let realTablePage: Data = {
    try! Data(contentsOf: RepoPaths.fixtures.appendingPathComponent("tbs/occupational-groups_en.html"))
}()
let realDefinitionsPage: Data = {
    try! Data(contentsOf: RepoPaths.fixtures.appendingPathComponent("tbs/definitions_en.html"))
}()
let tableURL = "https://www.canada.ca/en/treasury-board-secretariat/services/collective-agreements/occupational-groups.html"

/// Edits the real page's text to build a broken variant; fails the test if the edit finds nothing.
func variant(_ page: Data = realTablePage, replacing target: String, with replacement: String) -> Data {
    let text = String(decoding: page, as: UTF8.self)
    #expect(text.contains(target), "the fixture no longer contains \(target)")
    return Data(text.replacingOccurrences(of: target, with: replacement).utf8)
}

@Suite struct TableParserTests {
    let table: TBSTable = try! TBSTableParser().parse(realTablePage, url: tableURL, language: .en)

    @Test func realPageHasItsTwelveHeadersInOrderAnd217Rows() {
        #expect(table.headers == ["Group abbreviation", "Code", "Occupational Group (post 1999)", "Group", "Subgroup",
                                  "Definition", "Job evaluation standard", "Qualification standard", "Bargaining update",
                                  "Collective agreement", "Rates of pay for represented employees",
                                  "Rates of pay for unrepresented/senior excluded employees"])
        #expect(table.rows.count == 217)
        #expect(table.rows.map(\.position) == Array(1...217))
    }

    @Test func linkCountsPerContentColumn() {
        func count(_ column: TBSColumn) -> Int { table.rows.reduce(0) { $0 + $1.links.filter { $0.column == column }.count } }
        #expect(count(.definition) == 216)
        #expect(count(.jobEvaluationStandard) == 202)
        #expect(count(.qualificationStandard) == 203)
        let contentLinks = table.rows.flatMap(\.links).filter { TBSColumn.contentColumns.contains($0.column) }
        #expect(Set(contentLinks.compactMap(\.url)).count == 307)
        #expect(Set(contentLinks.compactMap(\.documentURL)).count == 18)
        #expect(Set(table.rows.compactMap(\.definitionFragment)).count == 213)
    }

    @Test func namesKeepTheirSpacingAndSplitIntoNameAndCode() throws {
        let ai = try #require(table.rows.first)
        #expect(ai.groupAbbreviation == "AI")
        #expect(ai.code == "402")
        #expect(ai.occupationalGroup?.text == "Air Traffic Control (AI)")
        #expect(ai.occupationalGroup?.name == "Air Traffic Control")
        #expect(ai.occupationalGroup?.code == "AI")
        #expect(ai.level == .occupationalGroup)
        #expect(ai.subgroup == nil, "N/A is an empty value, not text")
        let nop = table.rows[1]
        #expect(nop.level == .subgroup)
        #expect(nop.subgroup?.code == "AI-NOP")
        #expect(nop.subgroup?.name == "Non-Operational")
        #expect(nop.definitionFragment == "def-ai-nop")
        let levels = Dictionary(grouping: table.rows, by: \.level).mapValues(\.count)
        #expect(levels[.occupationalGroup] == 32 && levels[.group] == 55 && levels[.subgroup] == 130)
        #expect(!table.rows.contains { row in
            [row.occupationalGroup, row.group, row.subgroup].contains { $0?.text == "N/A" }
        })
    }

    @Test func oddValuesAreKeptAndFlagged() throws {
        #expect(table.rows.filter { $0.code == nil }.count == 21)
        #expect(table.rows.filter { $0.flags.contains(.emptyCode) }.count == 21)
        #expect(Set(table.rows.filter { $0.flags.contains(.fiveDigitCode) }.compactMap(\.code)) == ["30401", "60801", "60802", "45012", "45022"])
        #expect(table.rows.contains { $0.code == "602/652" && $0.flags.contains(.multipleCodes) })
        let rm = try #require(table.rows.first { $0.occupationalGroup?.code == "RM" })
        #expect(rm.groupAbbreviation == "RO")
        #expect(rm.flags.contains(.noDocumentLinks))
        #expect(rm.definitionFragment == nil)
        let info = table.rows.flatMap(\.links).filter { $0.flags.contains(.infoLink) }
        #expect(!info.isEmpty && info.allSatisfy { $0.text == "Info" && $0.column == .qualificationStandard })
        let malformed = table.rows.flatMap(\.links).filter { $0.flags.contains(.malformedHref) }
        // `po.html-ima` (3), `po.html-tco` (2), `sr.htmlw` (2): kept exactly as written.
        #expect(malformed.count == 7)
        #expect(Set(malformed.map { $0.href.components(separatedBy: "/").last! }) == ["po.html-ima", "po.html-tco", "sr.htmlw"])
        #expect(malformed.allSatisfy { $0.column == .ratesOfPayUnrepresented && $0.url != nil })
    }
}
