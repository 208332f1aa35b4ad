import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeTestSupport

/// Imputation inputs built from the real OaSIS files: the guide's descriptors (names, definitions,
/// scales) and the real ratings of profile 21231.00 (Software engineers and designers), the unit
/// group with no O*NET ratings, as the values already known.
enum RealDataInputs {
    struct GuideDescriptor {
        var code: String
        var name: String
        var category: String
        var definition: String
        var scaleText: String
    }

    static let guide: [GuideDescriptor] = {
        let url = RepoPaths.data.appendingPathComponent("oasis/guide_oasis_2023_v1.0.csv")
        let records = try! CSVReader().records(try! Data(contentsOf: url), file: url.lastPathComponent)
        return records.dropFirst().compactMap { record in
            let fields = record.fields
            guard fields.count >= 5, fields[2] == "Descriptor" else { return nil }
            let description = fields[4]
            let marker = "This descriptor is measured by "
            let parts = description.components(separatedBy: marker)
            return GuideDescriptor(code: fields[0], name: fields[1].trimmingSpacesAndNBSP, category: fields[3],
                                   definition: parts[0].trimmingSpacesAndNBSP,
                                   scaleText: parts.count > 1 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ". ")) : "")
        }
    }()

    static func descriptors(category: String) -> [GuideDescriptor] { guide.filter { $0.category == category } }

    /// The real skill ratings (proficiency level 1-5) of profile `21231.00`, joined to guide codes by name.
    static let softwareEngineerSkills: [KnownValue] = {
        let url = RepoPaths.data.appendingPathComponent("oasis/skills_oasis_2023_v1.0.csv")
        let records = try! CSVReader().records(try! Data(contentsOf: url), file: url.lastPathComponent)
        let header = records[0].fields.map(\.trimmingSpacesAndNBSP)
        let row = records.first { $0.fields.first == "21231.00" }!.fields
        let byName = Dictionary(descriptors(category: "Skills").map { ($0.name.normalizedForMatching, $0) }, uniquingKeysWith: { a, _ in a })
        return zip(header, row).dropFirst(2).compactMap { name, value in
            guard let descriptor = byName[name.normalizedForMatching], let number = Double(value) else { return nil }
            return KnownValue(descriptorCode: descriptor.code, name: descriptor.name, dimension: .level, value: number)
        }
    }()

    /// Skill importance cells (1-5), the dimension OaSIS does not rate and O*NET has none for in 21231.
    static func skillImportanceCells(count: Int? = nil) -> [MissingCell] {
        let cells = descriptors(category: "Skills").map {
            MissingCell(descriptorCode: $0.code, name: $0.name, dimension: .importance, definition: $0.definition,
                        scale: RatingScale(minimum: 1, maximum: 5, label: "importance, 1 (not important) to 5 (extremely important)"))
        }
        return count.map { Array(cells.prefix($0)) } ?? cells
    }

    static func context(title: String = "Senior Software Developer") -> TitleContext {
        TitleContext(title: title, titleFrench: "Développeur principal de logiciels / développeuse principale de logiciels",
                     function: "Information Technology", family: "Application Development", managerialLevel: "Individual contributor",
                     unitGroupCode: "21231", unitGroupTitle: "Software engineers and designers",
                     leadStatement: "Software engineers and designers research, design, evaluate, integrate and maintain software applications.",
                     knownValues: softwareEngineerSkills)
    }

    static func request(titleID: String = "T-0001", title: String = "Senior Software Developer", cells: Int? = nil) -> ImputationRequest {
        ImputationRequest(subject: .title(titleID), context: context(title: title), missing: skillImportanceCells(count: cells))
    }
}

/// A running fake plus a tier pointed at it, with an injectable sleep so retries do not wait.
struct TierHarness {
    let fake: FakeOpenAIServer
    let configuration: LLMConfiguration
    let sleeps: SleepLog

    static let model = "gpt-4o-2024-08-06"

    static func start(batchSize: Int = 12, concurrency: Int = 4, latency: TimeInterval = 0, timeout: TimeInterval = 120,
                      maxAttempts: Int = 3, validate: Bool = true) async throws -> TierHarness {
        let fake = try await FakeOpenAIServer.start(expectedModel: model, latency: latency, validateAgainstOpenAPI: validate)
        let apiKey = await fake.apiKey
        var configuration = LLMConfiguration(baseURL: await fake.baseURL, apiKey: apiKey, model: model,
                                             batchSize: batchSize, concurrency: concurrency)
        configuration.requestTimeout = timeout
        configuration.retryPolicy = RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.01, maxDelay: 0.05, minimumDelay: 0)
        return TierHarness(fake: fake, configuration: configuration, sleeps: SleepLog())
    }

    var client: OpenAIClient {
        let log = sleeps
        return OpenAIClient(configuration: configuration, sleep: { seconds in await log.record(seconds) })
    }

    func tier(recorder: any LLMRecorder = InMemoryLLMRecorder(), runID: String = "run-1") -> LLMTier {
        LLMTier(client: client, recorder: recorder, runID: runID)
    }

    func stop() async { await fake.stop() }
}

/// The delays the client asked to sleep, in order (it does not actually sleep in tests).
actor SleepLog {
    private(set) var delays: [TimeInterval] = []
    func record(_ seconds: TimeInterval) { delays.append(seconds) }
}

extension LLMTierResult {
    func outcomes(_ status: CellOutcomeStatus) -> [CellOutcome] { outcomes.filter { $0.status == status } }

    /// Every cell asked ends with exactly one outcome other than `unasked`.
    func finalOutcomeCounts() -> [CellKey: Int] {
        var counts: [CellKey: Int] = [:]
        for outcome in outcomes where outcome.status != .unasked { counts[outcome.key, default: 0] += 1 }
        return counts
    }
}
