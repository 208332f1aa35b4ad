import Foundation
import JobForgeCore
import Testing

@Suite("LLM confidence calibration and the seeded sample")
struct ConfidenceCalibrationTests {
    /// `count` values stated at `stated`, `right` of them within half a point of the truth.
    static func values(stated: Double, count: Int, right: Int) -> [EvaluatedValue] {
        (0..<count).map { index in
            EvaluatedValue(descriptorCode: "D\(index % 3)", descriptorName: "d", category: "Skills", truth: 3,
                           predicted: index < right ? 3 : 4, statedConfidence: stated)
        }
    }

    @Test("a stated confidence maps to its tenth's measured share; a tenth with fewer than 20 values to the overall share")
    func mapsStatedToMeasured() {
        let evaluation = TierEvaluation(Self.values(stated: 0.95, count: 40, right: 22)
                                        + Self.values(stated: 0.55, count: 30, right: 27)
                                        + Self.values(stated: 0.31, count: 10, right: 1))
        let calibration = ConfidenceCalibration(evaluation)
        #expect(calibration.calibrated(0.9) == 0.55, "0.9-1.0: 22 of 40 right")
        #expect(calibration.calibrated(1.0) == 0.55, "1.0 is in the last tenth")
        #expect(calibration.calibrated(0.5) == 0.9 && calibration.calibrated(0.59) == 0.9, "0.5-0.6: 27 of 30")
        #expect(calibration.calibrated(0.3) == 0.625, "10 values say too little: 50 of 80 overall")
        #expect(calibration.calibrated(0.75) == 0.625, "a tenth with no value: the overall share")
        #expect(calibration.count == 80)
        let decoded = try? JSONDecoder().decode(ConfidenceCalibration.self, from: JSONEncoder().encode(calibration))
        #expect(decoded == calibration, "kept in the store as JSON and read back the same")
    }

    @Test("the same seed draws the same permutation; another seed another; nothing lost or repeated")
    func seededShuffle() {
        let items = Array(0..<500)
        let first = SeededSample.shuffled(items, seed: 42)
        #expect(first == SeededSample.shuffled(items, seed: 42))
        #expect(first.sorted() == items)
        #expect(first != items)
        #expect(Array(first.prefix(10)) != Array(SeededSample.shuffled(items, seed: 43).prefix(10)))
        #expect(SeededSample.shuffled([7], seed: 1) == [7] && SeededSample.shuffled([Int](), seed: 1).isEmpty)
    }
}
