import Foundation
import JobForgeCore
@testable import JobForgeONet
import JobForgeTestSupport
import Testing

@Suite struct DescriptorMappingTests {
    @Test func mappingTableIsCompleteAndPointsAtRealDescriptors() throws {
        let mapping = Shipped.mapping
        // Every rated element of the shipped release has a row.
        let rated = Set(Shipped.database.ratings.map(\.elementID))
        #expect(rated.allSatisfy { mapping.mapping(forElement: $0) != nil })
        #expect(mapping.rows.count == rated.count)
        // Mapped codes are descriptors of the OaSIS guide, each used once.
        let codes = mapping.rows.compactMap(\.oasisCode)
        #expect(codes.allSatisfy { Shipped.scales.scale(for: $0) != nil })
        #expect(Set(codes).count == codes.count)
        let kinds = Dictionary(grouping: mapping.rows, by: \.matchKind).mapValues(\.count)
        #expect(kinds[.exact, default: 0] > 50 && kinds[.manual, default: 0] > 0 && kinds[.none, default: 0] > 0)
        #expect(mapping.mapping(forElement: "2.A.1.a")?.oasisCode == "F01b01")
        #expect(mapping.mapping(forElement: "2.A.1.a")?.matchKind == .exact)
        #expect(mapping.mapping(forElement: "2.A.1.f")?.descriptorCode == "ONET:2.A.1.f")
    }

    @Test func twoElementsOnOneDescriptorAreRefused() throws {
        let csv = """
        onet_element_id,onet_element_name,onet_category,oasis_code,oasis_name,oasis_category,match_kind,note
        2.A.1.a,Reading Comprehension,Skills,F01b01,Reading Comprehension,Skills,exact,
        2.A.1.c,Writing,Skills,F01b01,Reading Comprehension,Skills,manual,wrong
        """
        #expect(throws: InputError.self) { try ONetDescriptorMapping.parse(Data(csv.utf8), file: "m.csv") }
    }

    @Test func onetOnlyDescriptorsCarryDefinitionsAndScales() throws {
        let model = try ONetContentModel.load(folder: Shipped.onetFolder)
        let (descriptors, scales) = Shipped.mapping.onetOnlyDescriptors(contentModel: model)
        let noneRows = Shipped.mapping.rows.filter { $0.matchKind == .none }
        #expect(descriptors.count == noneRows.count)
        let science = try #require(descriptors.first { $0.code == "ONET:2.A.1.f" })
        #expect(science.name == "Science" && science.origin == .onet && science.category == .skills)
        #expect(science.definition.contains("scientific rules and methods"))
        #expect(scales.contains(DescriptorScale(descriptorCode: "ONET:2.A.1.f", dimension: .level, minimum: 0, maximum: 7, label: "O*NET level")))
        // Mapped OaSIS descriptors get O*NET's importance scale, which OaSIS lacks.
        #expect(scales.contains { $0.descriptorCode == "F01b01" && $0.dimension == .importance && $0.maximum == 5 })
    }

    @Test func guideScalesAreReadFromTheGuide() {
        #expect(Shipped.scales.scale(for: "F01b01")?.maximum == 5)
        #expect(Shipped.scales.scale(for: "G01a02")?.maximum == 3)
        #expect(Shipped.scales.scale(for: "A01a01")?.minimum == 1)
    }
}

@Suite struct TierTests {
    let observed = Date(timeIntervalSince1970: 1_760_000_000)

    @Test func unitGroup00012AggregatesItsThreeSOCCodes() throws {
        let result = Shipped.tier.candidates(for: [ONetSubject(subject: .unitGroup("00012"), unitGroup: "00012")], observedAt: observed)
        #expect(result.gaps.isEmpty)
        let codes = ["11-1011.00", "11-1011.03", "11-1021.00"]
        let raw = Shipped.database.ratings.filter { codes.contains($0.soc) && $0.elementID == "2.A.1.a" }
        let level = try #require(result.candidates.first { $0.key.descriptor == "F01b01" && $0.key.dimension == .level })
        #expect(Set(level.sourceIDs) == Set(codes))
        #expect(level.metadata["native_values"]?.components(separatedBy: "; ").count == 3, "each code's native value is kept")
        #expect(level.source == .onet && level.method == "onet_mean" && level.release == "O*NET 29.3")
        let lv = raw.filter { $0.scaleID == "LV" }
        let relevant = lv.filter { $0.notRelevant != true }
        let expectedLevel = relevant.map { 1 + 4 * $0.value! / 7 }.reduce(0, +) / Double(relevant.count)
        #expect(abs(level.value - expectedLevel) < 0.001)
        let nativeMean = lv.map { $0.value! }.reduce(0, +) / 3
        #expect(abs(Double(level.metadata["native_value"]!)! - nativeMean) < 0.001)
        #expect(Double(level.metadata["spread"]!)! > 0)
        #expect(level.metadata["native_scale"] == "LV 0-7")
        let importance = try #require(result.candidates.first { $0.key.descriptor == "F01b01" && $0.key.dimension == .importance })
        let im = raw.filter { $0.scaleID == "IM" }.map { $0.value! }
        #expect(abs(importance.value - im.reduce(0, +) / 3) < 0.001)
        // Three codes weaken confidence relative to one code, by the documented factor.
        #expect(abs(level.confidence - ONetConfidence.value(match: .exact, codes: 3, suppressed: 0, total: 3)) < 0.001)
        // O*NET-only elements keep their native scale.
        let science = try #require(result.candidates.first { $0.key.descriptor == "ONET:2.A.1.f" && $0.key.dimension == .level })
        let scienceRaw = Shipped.database.ratings.filter { codes.contains($0.soc) && $0.elementID == "2.A.1.f" && $0.scaleID == "LV" }
        #expect(abs(science.value - scienceRaw.map { $0.value! }.reduce(0, +) / Double(scienceRaw.count)) < 0.001)
    }

    @Test func knowledgeConvertsToTheOneToThreeScale() throws {
        let result = Shipped.tier.candidates(for: [ONetSubject(subject: .unitGroup("00012"), unitGroup: "00012")], observedAt: observed)
        let knowledge = result.candidates.filter { $0.key.descriptor.hasPrefix("G") && $0.key.dimension == .level }
        #expect(!knowledge.isEmpty)
        #expect(knowledge.allSatisfy { $0.value == 0 || (1...3).contains($0.value) })
        let manual = try #require(knowledge.first { $0.key.descriptor == "G01a02" })  // Administration and Management, manual
        #expect(manual.metadata["match_kind"] == "manual")
        #expect(manual.confidence < ONetConfidence.value(match: .exact, codes: 3, suppressed: 0, total: 3))
    }

    @Test func unitGroupsWithoutRatingsFallThroughVisibly() throws {
        let subjects = [
            ONetSubject(subject: .unitGroup("21231"), unitGroup: "21231"),
            ONetSubject(subject: .profile("21231.00"), unitGroup: "21231"),
            ONetSubject(subject: .unitGroup("00010"), unitGroup: "00010"),
            ONetSubject(subject: .unitGroup("64409"), unitGroup: "64409"),
            ONetSubject(subject: .title("t-1"), unitGroup: "21211", confidenceFactor: 0.6, sourceLevel: .l7),
        ]
        let result = Shipped.tier.candidates(for: subjects, observedAt: observed)
        #expect(result.gaps.map(\.unitGroup) == ["00010", "21231", "64409"])
        let software = try #require(result.gaps.first { $0.unitGroup == "21231" })
        #expect(software.socCodes == ["15-1252.00"] && software.reason.contains("15-1252.00") && software.reason.contains("O*NET 29.3"))
        #expect(result.gaps.first { $0.unitGroup == "64409" }?.reason.contains("crosswalk") == true)
        #expect(Set(result.subjectsWithoutData) == [.unitGroup("21231"), .profile("21231.00"), .unitGroup("00010"), .unitGroup("64409")])
        // The title takes its resolved unit group's values with its own confidence and level.
        let title = result.candidates.filter { $0.key.subject == .title("t-1") }
        #expect(!title.isEmpty && title.allSatisfy { $0.sourceLevel == .l7 && $0.confidence <= 0.6 * 0.8 + 1e-9 })
    }

    @Test func coverageListsGroupsWithoutCodesAndWithoutRatings() throws {
        let (withoutCode, withoutRatings) = Shipped.tier.coverage(allUnitGroups: ["64409", "00010", "21231", "00012"])
        #expect(withoutCode == ["64409"])
        #expect(withoutRatings.map(\.unitGroup).contains("21231"))
        #expect(withoutRatings.map(\.unitGroup).contains("00010"))
        #expect(!withoutRatings.map(\.unitGroup).contains("00012"))
        // The issue counts 12 crosswalked unit groups with no O*NET ratings at all.
        #expect(withoutRatings.count == 12)
    }

    @Test func suppressedValuesAreLeftOutWhenOthersExistAndLowerConfidenceOtherwise() throws {
        func rating(_ soc: String, _ value: Double, suppress: Bool) -> ONetRating {
            ONetRating(table: .skills, soc: soc, elementID: "2.A.1.a", elementName: "Reading Comprehension", scaleID: "LV",
                       value: value, recommendSuppress: suppress, notRelevant: false)
        }
        let crosswalk = Crosswalk(pairs: [CrosswalkPair(unitGroup: "11111", soc: "11-0001.00", nocTitle: "A", crosswalkONetTitle: "A"),
                                          CrosswalkPair(unitGroup: "11111", soc: "11-0002.00", nocTitle: "A", crosswalkONetTitle: "B"),
                                          CrosswalkPair(unitGroup: "22222", soc: "11-0002.00", nocTitle: "B", crosswalkONetTitle: "B")])
        let tier = ONetTier(crosswalk: crosswalk, ratings: ONetRatingIndex([rating("11-0001.00", 3.5, suppress: false), rating("11-0002.00", 7, suppress: true)]),
                            mapping: Shipped.mapping, oasisScales: Shipped.scales, release: "test")
        let mixed = tier.candidates(for: [ONetSubject(subject: .unitGroup("11111"), unitGroup: "11111")]).candidates
        #expect(mixed.count == 1 && mixed[0].value == 3 && mixed[0].sourceIDs == ["11-0001.00"])
        #expect(mixed[0].metadata["suppressed_excluded"] == "1")
        let onlySuppressed = tier.candidates(for: [ONetSubject(subject: .unitGroup("22222"), unitGroup: "22222")]).candidates
        #expect(onlySuppressed.count == 1 && onlySuppressed[0].value == 5)
        #expect(onlySuppressed[0].confidence < mixed[0].confidence)
        // Not relevant becomes OaSIS's 0 ("not applicable"); a mean never falls between 0 and the scale's minimum.
        #expect(ONetScaleConversion.level(1.2, notRelevant: true, minimum: 1, maximum: 5) == 0)
        #expect(ONetScaleConversion.aggregateLevel([(0.5, true), (0.4, true), (3.5, false)], minimum: 1, maximum: 5) == 0)
        #expect(ONetScaleConversion.aggregateLevel([(0.5, true), (3.5, false)], minimum: 1, maximum: 5) == 3)
    }

    @Test func everyUnitGroupsOffersAreWhatItsSubjectsAreGiven() throws {
        // What the build stores (one offer list per unit group) is what each subject would get
        // as candidates: the unit group at L5, its profiles at L6, the same values and details.
        let unitGroups = Shipped.crosswalk.unitGroups
        let result = Shipped.tier.offers(forUnitGroups: unitGroups, observedAt: observed)
        #expect(result.offers.count == 69_524)
        #expect(result.gaps.map(\.unitGroup).contains("21231") && result.gaps.count == 12)
        #expect(Set(result.offers.map(\.unitGroup)).count == unitGroups.count - result.gaps.count)
        struct Cell: Hashable { var unitGroup: String; var descriptor: String; var dimension: CellDimension }
        var offers: [Cell: UnitGroupOffer] = [:]
        for offer in result.offers {
            #expect(offers.updateValue(offer, forKey: Cell(unitGroup: offer.unitGroup, descriptor: offer.descriptor, dimension: offer.dimension)) == nil,
                    "one offer per cell")
        }
        let subjects = ["00012", "11100", "21211"].flatMap {
            [ONetSubject(subject: .unitGroup($0), unitGroup: $0), ONetSubject(subject: .profile($0 + ".01"), unitGroup: $0)]
        }
        let candidates = Shipped.tier.candidates(for: subjects, observedAt: observed).candidates
        #expect(candidates.count == 2 * result.offers.filter { ["00012", "11100", "21211"].contains($0.unitGroup) }.count)
        for candidate in candidates {
            let unitGroup = String(candidate.key.subject.code.prefix(5))
            let offer = try #require(offers[Cell(unitGroup: unitGroup, descriptor: candidate.key.descriptor, dimension: candidate.key.dimension)])
            #expect(offer.candidate(for: candidate.key.subject) == candidate)
            #expect(candidate.sourceLevel == candidate.key.subject.level)
        }
    }
}

@Suite struct ImportanceCalibrationTests {
    @Test("leave-one-SOC-out: each code predicted by the mean of the others; a sparse bucket falls back to the descriptor, then to every descriptor at those codes, then to nothing")
    func predictionsAndFallbacks() throws {
        let three = ONetImportanceCalibration.predictions(descriptorCode: "A", values: [1, 2, 4.5])
        #expect(three.map(\.predicted) == [3.25, 2.75, 1.5] && three.map(\.truth) == [1, 2, 4.5] && three.allSatisfy { $0.codes == 2 })
        #expect(three.map(\.isRight) == [false, false, false])
        #expect(ONetImportanceCalibration.predictions(descriptorCode: "A", values: [3]).isEmpty, "one code predicts nothing")

        // A: 24 predictions from one code (18 right); B: 6 from one code (all right).
        let a = (0..<24).map { ONetImportanceCalibration.Prediction(descriptorCode: "A", predicted: 3, truth: $0 < 18 ? 3.5 : 3.6, codes: 1) }
        let b = (0..<6).map { _ in ONetImportanceCalibration.Prediction(descriptorCode: "B", predicted: 2, truth: 2, codes: 1) }
        let calibration = ONetImportanceCalibration(predictions: a + b)
        #expect(calibration.count == 30)
        let own = try #require(calibration.share(descriptor: "A", codes: 1))
        #expect(own.basis == .descriptorAtCodes && own.count == 24 && own.share == 0.75)
        let descriptorWide = try #require(calibration.share(descriptor: "A", codes: 2), "no prediction of A from 2 codes: A's overall share")
        #expect(descriptorWide.basis == .descriptor && descriptorWide.share == 0.75)
        let pooled = try #require(calibration.share(descriptor: "B", codes: 1), "B has too few: every descriptor's share from 1 code")
        #expect(pooled.basis == .allDescriptorsAtCodes && pooled.count == 30 && pooled.share == 0.8)
        #expect(pooled.measure.contains("30 held-out importances of all descriptors predicted from 1 code"))
        #expect(calibration.share(descriptor: "B", codes: 3) == nil, "nothing measured from 3 or more codes: the documented confidence stays")
    }
}
