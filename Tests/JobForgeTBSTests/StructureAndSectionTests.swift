import Foundation
import JobForgeCore
@testable import JobForgeTBS
import JobForgeTestSupport
import Testing

@Suite struct StructureErrorTests {
    func error(_ page: Data, language: TBSLanguage = .en) -> TBSStructureError? {
        do {
            _ = try TBSTableParser().parse(page, url: tableURL, language: language)
            return nil
        } catch let error as TBSStructureError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func renamedColumnIsNamed() throws {
        let broken = variant(replacing: ">Subgroup</th>", with: ">Sub-group</th>")
        let failure = try #require(error(broken))
        #expect(failure.kind == .columnsDiffer)
        #expect(failure.message.contains("\"Subgroup\" is now \"Sub-group\""))
    }

    @Test func reorderedColumnsAreNamed() throws {
        let text = String(decoding: realTablePage, as: UTF8.self)
        let swapped = text
            .replacingOccurrences(of: ">Job evaluation standard</th>", with: ">@@QS@@</th>")
            .replacingOccurrences(of: ">Qualification standard</th>", with: ">Job evaluation standard</th>")
            .replacingOccurrences(of: ">@@QS@@</th>", with: ">Qualification standard</th>")
        let failure = try #require(error(Data(swapped.utf8)))
        #expect(failure.kind == .columnsDiffer)
        #expect(failure.message.contains("reordered"))
        #expect(failure.message.contains("column 7 is \"Qualification standard\""))
    }

    @Test func missingAndExtraColumnsAreNamed() throws {
        let missing = variant(replacing: "<th class=\"text-center\" scope=\"col\">Bargaining update</th>", with: "")
        let missingError = try #require(error(missing))
        #expect(missingError.message.contains("missing column(s) \"Bargaining update\""))
        let extra = variant(replacing: "<th class=\"text-center\" scope=\"col\">Code</th>",
                            with: "<th class=\"text-center\" scope=\"col\">Code</th><th scope=\"col\">Notes</th>")
        let extraError = try #require(error(extra))
        #expect(extraError.message.contains("unexpected column(s) \"Notes\""))
    }

    @Test func missingBodyTooFewRowsAndSecondTableStopTheParse() throws {
        let noBody = variant(variant(replacing: "<tbody>", with: ""), replacing: "</tbody>", with: "")
        #expect(error(noBody)?.kind == .missingBody)

        let text = String(decoding: realTablePage, as: UTF8.self)
        let open = try #require(text.range(of: "<tbody>"))
        let close = try #require(text.range(of: "</tbody>"))
        let rows = text[open.upperBound..<close.lowerBound].components(separatedBy: "<tr>").dropFirst()
        var truncated = text
        truncated.replaceSubrange(open.upperBound..<close.lowerBound, with: rows.prefix(40).map { "<tr>" + $0 }.joined())
        let tooFew = try #require(error(Data(truncated.utf8)))
        #expect(tooFew.kind == .tooFewRows)
        #expect(tooFew.message.contains("40 rows"))

        let tableStart = try #require(text.range(of: "<table class=\"wb-tables"))
        let tableEnd = try #require(text.range(of: "</table>"))
        let table = String(text[tableStart.lowerBound..<tableEnd.upperBound])
        let doubled = text.replacingCharacters(in: tableEnd.upperBound..<tableEnd.upperBound, with: table)
        #expect(error(Data(doubled.utf8))?.kind == .ambiguousTable)

        let shortRow = variant(replacing: "<td class=\"text-center\">402</td>", with: "")
        let shape = try #require(error(shortRow))
        #expect(shape.kind == .rowShape)
        #expect(shape.message.contains("row 1") && shape.message.contains("11 cells"))
    }

    @Test func frenchVariantParsesWithSOAsEmptyAndFrenchHeaders() throws {
        let french = FakeCanadaSite.frenchVariant(of: realTablePage, reverseRows: true)
        let table = try TBSTableParser().parse(french, url: tableURL, language: .fr)
        #expect(table.headers.prefix(3) == ["Abréviation de groupe", "Code", "Groupe professionnel (après 1999)"])
        #expect(table.rows.count == 217)
        let english = try TBSTableParser().parse(realTablePage, url: tableURL, language: .en)
        // Position differs (reversed), yet joining on the definition fragment pairs the same rows.
        #expect(table.rows.first?.definitionFragment != english.rows.first?.definitionFragment)
        let frenchByFragment = Dictionary(table.rows.compactMap { row in row.definitionFragment.map { ($0, row) } },
                                          uniquingKeysWith: { a, _ in a })
        // Three fragments are shared by two rows each: compare the sets of rows per fragment.
        func byFragment(_ rows: [TBSRow]) -> [String: Set<String>] {
            Dictionary(grouping: rows.filter { $0.definitionFragment != nil }, by: { $0.definitionFragment! })
                .mapValues { Set($0.map { "\($0.groupAbbreviation ?? "")|\($0.code ?? "")|\($0.ownName?.code ?? "")" }) }
        }
        #expect(byFragment(table.rows) == byFragment(english.rows))
        #expect(frenchByFragment.count == 213)
        #expect(!table.rows.contains { [$0.occupationalGroup, $0.group, $0.subgroup].contains { $0?.text == "S.o." } })
        #expect(table.rows.filter { $0.subgroup == nil }.count == english.rows.filter { $0.subgroup == nil }.count)
        // The English headers are not accepted for French, and the other way round.
        #expect(throws: TBSStructureError.self) { try TBSTableParser().parse(french, url: tableURL, language: .en) }
    }
}

@Suite struct SectionTests {
    @Test func definitionFragmentsResolveTo213DistinctTexts() throws {
        let table = try TBSTableParser().parse(realTablePage, url: tableURL, language: .en)
        let fragments = Array(Set(table.rows.compactMap(\.definitionFragment))).sorted()
        #expect(fragments.count == 213)
        let pageURL = URL(string: "https://www.canada.ca" + FakeCanadaSite.definitionsPathEN)!
        let result = try TBSPageReader().read(realDefinitionsPage, pageURL: pageURL, fragments: fragments)
        #expect(result.missingFragments.isEmpty)
        #expect(result.sections.count == 213)
        #expect(Set(result.sections.map(\.text)).count == 213)
        #expect(result.sections.allSatisfy { !$0.text.isEmpty })
        #expect(result.metadata.modified == "2025-09-12")
        #expect(result.metadata.title?.hasPrefix("Definitions for the core public administration") == true)

        let ai = try #require(result.sections.first { $0.fragment == "def-ai" })
        let nop = try #require(result.sections.first { $0.fragment == "def-ai-nop" })
        #expect(ai.heading == "Air Traffic Control (AI) Group Definition")
        #expect(ai.text.contains("The Air Traffic Control Group comprises positions"))
        #expect(ai.text.contains("Also excluded are positions in which there is no requirement"))
        #expect(!ai.text.contains("Non-Operational"), "a subgroup's definition is its own section")
        #expect(nop.text.hasPrefix("Air Traffic Control (AI) Group Definition › Air Traffic Control – Non-Operational (AI-NOP) Subgroup Definition\n"))
        #expect(ai.text.hasPrefix("Air Traffic Control (AI) Group Definition\n"))
        // East and West ship repair subgroups have word-for-word identical definitions on the
        // page: their group heading is what tells them apart.
        let east = try #require(result.sections.first { $0.fragment == "def-sre-ple" })
        let west = try #require(result.sections.first { $0.fragment == "def-srw-ple" })
        #expect(east.text.hasPrefix("Ship Repair-East (SRE) Group Definition › "))
        #expect(west.text.hasPrefix("Ship Repair-West (SR(W)) Group Definition › "))
        #expect(east.text.dropFirst(east.text.firstIndex(of: "\n")!.utf16Offset(in: east.text))
                == west.text.dropFirst(west.text.firstIndex(of: "\n")!.utf16Offset(in: west.text)))
        #expect(nop.text.contains("Altitude Reservation Unit (ARU)"))
        #expect(!nop.text.contains("Aircraft Operations"))
    }

    @Test func sectionsOfAHandMadeStandardsPage() throws {
        let page = """
            <html><head><title>Synthetic standard</title><meta name="dcterms.modified" content="2024-01-02"></head>
            <body><main><h2 id="jes-nee">Standards</h2><p>Applies to <a href="/en/other.html#x">others</a>.</p>
            <h3>Part</h3><p>Detail.</p><h2 id="next">Next</h2><p>Other text.</p>
            <div id="block"><p>Block text</p></div><p><a id="anchor"></a>Anchored paragraph</p></main></body></html>
            """
        let result = try TBSPageReader().read(Data(page.utf8), pageURL: URL(string: "https://www.canada.ca/en/std.html")!,
                                              fragments: ["jes-nee", "block", "anchor", "absent", ""])
        let byFragment = Dictionary(uniqueKeysWithValues: result.sections.map { ($0.fragment, $0) })
        #expect(byFragment["jes-nee"]?.text == "Standards\nApplies to others.\nPart\nDetail.")
        #expect(byFragment["jes-nee"]?.links == ["https://www.canada.ca/en/other.html#x"])
        #expect(byFragment["block"]?.text == "Block text")
        #expect(byFragment["anchor"]?.text == "Anchored paragraph")
        #expect(byFragment[""]?.text.contains("Other text.") == true)
        #expect(result.missingFragments == ["absent"])
        #expect(result.metadata == TBSPageMetadata(title: "Synthetic standard", modified: "2024-01-02"))
    }

    @Test func tablePageMetadata() throws {
        let result = try TBSPageReader().read(realTablePage, pageURL: URL(string: tableURL)!, fragments: [])
        #expect(result.metadata.title == "Occupational groups for the public service - Canada.ca")
        #expect(result.metadata.modified == "2026-01-09")
    }
}

@Suite struct RobotsTests {
    @Test func longestMatchWinsAndSpecificGroupIsChosen() {
        let rules = RobotsRules.parse("""
            User-agent: *
            Disallow: /en/
            Allow: /en/treasury-board-secretariat/
            Disallow: /*.pdf$

            User-agent: OtherBot
            Disallow: /
            """, userAgent: "JobForge")
        #expect(rules.allows("/en/treasury-board-secretariat/x.html"))
        #expect(!rules.allows("/en/news.html"))
        #expect(!rules.allows("/fr/x.pdf"))
        // The longest rule wins: the long Allow beats the short `*.pdf$` Disallow.
        #expect(rules.allows("/en/treasury-board-secretariat/x.pdf"))
        #expect(rules.allows("/fr/x.html"))
        let specific = RobotsRules.parse("User-agent: *\nDisallow:\n\nUser-agent: jobforge\nDisallow: /fr/\n", userAgent: "JobForge")
        #expect(!specific.allows("/fr/page.html"))
        #expect(specific.allows("/en/page.html"))
    }
}
