import Foundation
import JobForgeCore
@testable import JobForgeONet
import JobForgeTestSupport
import Testing

@Suite struct CrosswalkTests {
    @Test func shippedCrosswalkCollapsesDuplicatesAndNormalizesCodes() throws {
        let crosswalk = Shipped.crosswalk
        #expect(crosswalk.rowCount == 1_467)
        #expect(crosswalk.pairs.count == 1_389)
        #expect(crosswalk.unitGroups.count == 515)
        #expect(crosswalk.socCodes.count == 995)
        // `10` in the file is unit group 00010.
        #expect(crosswalk.socCodes(forUnitGroup: "00010") == ["11-1031.00"])
        #expect(crosswalk.socCodes(forUnitGroup: "10").isEmpty)
        #expect(crosswalk.socCodes(forUnitGroup: "64409").isEmpty)
        // 1:N and N:1.
        #expect(Set(crosswalk.socCodes(forUnitGroup: "00012")) == ["11-1011.00", "11-1011.03", "11-1021.00"])
        #expect(crosswalk.unitGroups(forSOC: "11-1011.00").count > 1)
    }

    @Test func duplicatePairsCollapseAndBadCodesNameTheLine() throws {
        let csv = "noc,noc_title,onet,onet_title\n10,Legislators,11-1031.00,Legislators\n10,Legislators,11-1031.00,Legislators\n21231,Software,15-1252.00,Software Developers\n"
        let crosswalk = try Crosswalk.parse(Data(csv.utf8), file: "x.csv")
        #expect(crosswalk.rowCount == 3)
        #expect(crosswalk.pairs.count == 2)
        let bad = "noc,noc_title,onet,onet_title\n10,Legislators,11-1031,Legislators\nABC,Bad,11-1031.00,x\n"
        #expect(throws: InputError(file: "y.csv", line: 3, column: "noc", message: "\"ABC\" is not a NOC unit group code (1 to 5 digits)")) {
            try Crosswalk.parse(Data(bad.utf8), file: "y.csv")
        }
    }

    @Test func displayTitlesComeFromOccupationDataNotTheCrosswalk() throws {
        let titles = Shipped.database.titlesBySOC
        let stale = Shipped.crosswalk.pairs.filter { titles[$0.soc] != nil && titles[$0.soc] != $0.crosswalkONetTitle }
        #expect(!stale.isEmpty, "the crosswalk carries older titles for some codes")
        #expect(titles["15-1252.00"] == "Software Developers")
        #expect(Shipped.crosswalk.socCodes.allSatisfy { titles[$0] != nil }, "every crosswalked code exists in 29.3")
    }
}

@Suite struct DatabaseReaderTests {
    @Test func readsTheShippedTextRelease() throws {
        let database = Shipped.database
        #expect(database.releaseName == "O*NET 29.3")
        #expect(database.occupations.count == 1_016)
        #expect(database.missingTables == [.workContext])
        let skills = database.ratings.filter { $0.table == .skills }
        #expect(skills.count == 61_530)
        #expect(database.ratings.filter { $0.table == .knowledge }.count == 58_014)
        #expect(Set(skills.map(\.soc)).count == 879)
        // `n/a` is empty, not zero; flags and statistics are kept.
        let first = try #require(skills.first { $0.soc == "11-1011.00" && $0.elementID == "2.A.1.a" && $0.scaleID == "IM" })
        #expect(first.value == 4.12 && first.n == 8 && first.standardError == 0.125 && first.recommendSuppress == false)
        #expect(first.notRelevant == nil)
        #expect(first.date == "08/2023" && first.domainSource == "Analyst")
        let level = try #require(skills.first { $0.soc == "11-1011.00" && $0.elementID == "2.A.1.a" && $0.scaleID == "LV" })
        #expect(level.notRelevant == false)
        #expect(skills.contains { $0.recommendSuppress == true })
        // 13-2011.00's transition data has N = n/a.
        let transition = database.ratings.filter { $0.table == .workActivities && $0.domainSource == "Analyst - Transition" }
        #expect(!transition.isEmpty && transition.allSatisfy { $0.n == nil })
    }

    @Test func aFileSavedWithAByteOrderMarkStillMatchesItsFirstColumn() throws {
        // Editors on Windows save UTF-8 with a BOM: "O*NET-SOC Code" must still be found.
        let text = "\u{FEFF}O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tData Value\tN\tStandard Error\tLower CI Bound\tUpper CI Bound\tRecommend Suppress\tNot Relevant\tDate\tDomain Source\r\n"
            + "11-1011.00\t2.A.1.a\tReading Comprehension\tIM\t4.12\t8\t0.1250\t3.8800\t4.3700\tN\tn/a\t08/2023\tAnalyst\r\n"
        var ratings: [ONetRating] = []
        try ONetDatabaseReader.readRatings(Data(text.utf8), file: "Skills.txt", table: .skills, into: &ratings)
        #expect(ratings.map(\.soc) == ["11-1011.00"])
        #expect(ratings.map(\.value) == [4.12] && ratings.first?.domainSource == "Analyst" && ratings.first?.notRelevant == nil)
    }

    @Test func excelExportLayoutAndWorkContextMatchColumnsByName() throws {
        // Excel export: extra Title / Scale Name columns, in another order.
        let excel = """
        O*NET-SOC Code\tTitle\tElement ID\tElement Name\tScale ID\tScale Name\tData Value\tN\tStandard Error\tLower CI Bound\tUpper CI Bound\tRecommend Suppress\tNot Relevant\tDate\tDomain Source
        11-1011.00\tChief Executives\t2.A.1.a\tReading Comprehension\tLV\tLevel\t4.62\t8\t0.1830\t4.2664\t4.9836\tY\tN\t08/2023\tAnalyst

        """
        var ratings: [ONetRating] = []
        try ONetDatabaseReader.readRatings(Data(excel.utf8), file: "Skills.txt", table: .skills, into: &ratings)
        #expect(ratings == [ONetRating(table: .skills, soc: "11-1011.00", elementID: "2.A.1.a", elementName: "Reading Comprehension",
                                       scaleID: "LV", value: 4.62, n: 8, standardError: 0.183, lowerCI: 4.2664, upperCI: 4.9836,
                                       recommendSuppress: true, notRelevant: false, date: "08/2023", domainSource: "Analyst")])
        let context = """
        O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tCategory\tData Value\tN\tStandard Error\tLower CI Bound\tUpper CI Bound\tRecommend Suppress\tNot Relevant\tDate\tDomain Source
        11-1011.00\t4.C.1.a.2.c\tPublic Speaking\tCXP\t3\t35.71\t28\t9.93\t17.94\t58.35\tN\tn/a\t08/2023\tIncumbent
        11-1011.00\t4.C.1.a.2.c\tPublic Speaking\tCX\tn/a\t2.93\t28\t0.21\t2.49\t3.37\tN\tn/a\t08/2023\tIncumbent
        """
        ratings = []
        try ONetDatabaseReader.readRatings(Data(context.utf8), file: "Work Context.txt", table: .workContext, into: &ratings)
        #expect(ratings.map(\.category) == [3, 0])
        #expect(ratings.map(\.value) == [35.71, 2.93])
    }

    @Test func badRowsNameFileLineAndColumn() throws {
        let missing = "O*NET-SOC Code\tElement ID\tScale ID\n11-1011.00\t2.A.1.a\tIM\n"
        var ratings: [ONetRating] = []
        #expect(throws: InputError.self) { try ONetDatabaseReader.readRatings(Data(missing.utf8), file: "S.txt", table: .skills, into: &ratings) }
        do {
            try ONetDatabaseReader.readRatings(Data(missing.utf8), file: "S.txt", table: .skills, into: &ratings)
        } catch let error as InputError {
            #expect(error.description.contains("\"Element Name\"") && error.description.contains("\"Data Value\""))
        }
        let badValue = "O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tData Value\n11-1011.00\t2.A.1.a\tReading\tIM\t4.x\n"
        #expect(throws: InputError(file: "S.txt", line: 2, column: "Data Value", message: "\"4.x\" is not a number (nor n/a)")) {
            try ONetDatabaseReader.readRatings(Data(badValue.utf8), file: "S.txt", table: .skills, into: &ratings)
        }
    }

    @Test func readsTheOfficialZipLayout() throws {
        let temp = try TemporaryDirectory(prefix: "onet-zip")
        defer { temp.remove() }
        let folder = temp.path("db_30_1_text")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "O*NET-SOC Code\tTitle\tDescription\n11-1011.00\tChief Executives\tDetermine policies.\n"
            .write(to: folder.appendingPathComponent("Occupation Data.txt"), atomically: true, encoding: .utf8)
        try "O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tData Value\tN\tStandard Error\tLower CI Bound\tUpper CI Bound\tRecommend Suppress\tNot Relevant\tDate\tDomain Source\n11-1011.00\t2.A.1.a\tReading Comprehension\tIM\t4.00\t8\t0.1\t3.8\t4.2\tN\tn/a\t08/2025\tAnalyst\n"
            .write(to: folder.appendingPathComponent("Skills.txt"), atomically: true, encoding: .utf8)
        let zip = temp.path("db_30_1_text.zip")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["zip", "-q", "-r", zip.path, "db_30_1_text"]
        process.currentDirectoryURL = temp.url
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let database = try ONetDatabaseReader.read(zip)
        #expect(database.releaseName == "O*NET 30.1")
        #expect(database.ratings.count == 1 && database.ratings[0].value == 4.0)
        #expect(database.occupations.map(\.title) == ["Chief Executives"])
    }
}

@Suite struct CoverageTests {
    @Test func theShippedSubsetLacksWorkContextAndMostOfAbilitiesAndWorkActivities() {
        let coverage = ONetCoverage(Shipped.database.ratings)
        #expect(coverage.missingTables == [.workContext])
        #expect(coverage.partialTables.map(\.table) == [.abilities, .workActivities])
        #expect(coverage.partialTables.map(\.occupations) == [2, 2])
        #expect(coverage.warning?.hasPrefix("O*NET has no Work Context ratings; Abilities for 2 occupations only") == true)
    }

    @Test func aFullReleaseHasNothingToWarnOf() {
        let full = ONetCoverage(occupationsByTable: Dictionary(uniqueKeysWithValues: ONetRatingTable.allCases.map { ($0, 870) }))
        #expect(full.warning == nil)
        // Half the best-covered table's occupations or more is not partial.
        var uneven = full.occupationsByTable
        uneven[.abilities] = 435
        #expect(ONetCoverage(occupationsByTable: uneven).warning == nil)
        uneven[.abilities] = 434
        #expect(ONetCoverage(occupationsByTable: uneven).warning?.contains("Abilities for 434 occupations only (Skills: 870)") == true)
    }
}
