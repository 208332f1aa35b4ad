import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeStore
import JobForgeTitles

/// The LLM tier's input, built from the store: for each job title, every cell no higher source
/// filled, with the title's full job-architecture context.
public enum LLMStep {
    /// One request per title with its missing cells. `titleFilter` keeps titles whose id or
    /// title is listed; `categories` keeps only those categories. The shipped sample's titles are
    /// made up: they are asked about only when `titleFilter` names them. Holds every request:
    /// a pass over a big architecture reads them in chunks with ``RequestReader`` instead.
    public static func requests(store: SQLiteStore, titleFilter: Set<String>? = nil,
                                categories: Set<Category>? = nil) throws -> [ImputationRequest] {
        var reader = try RequestReader(store: store, titleFilter: titleFilter, categories: categories)
        var requests: [ImputationRequest] = []
        while let chunk = try reader.next() { requests += chunk }
        return requests
    }

    /// `requests(store:titleFilter:categories:)` a chunk of titles at a time, in the same order,
    /// so that a pass over 20,000 titles (`impute --dry-run`, the report's cost estimate) holds
    /// one chunk's requests, and reads each chunk's cells in one store access.
    ///
    /// ```swift
    /// var reader = try LLMStep.RequestReader(store: store)
    /// while let chunk = try reader.next() { try await tier.plan(chunk) { tally.add($0) } }
    /// ```
    public struct RequestReader {
        let store: SQLiteStore
        let titleFilter: Set<String>?
        let expected: [(DescriptorInfo, DescriptorScale)]
        let titles: [JobTitleRecord]
        var position = 0
        /// Unit group and profile headings, read once for all their titles.
        var headers: [Subject: SubjectHeader?] = [:]
        /// Titles read per store access.
        public var chunkSize = 256

        public init(store: SQLiteStore, titleFilter: Set<String>? = nil, categories: Set<Category>? = nil) throws {
            var expected: [(DescriptorInfo, DescriptorScale)] = []
            for info in try store.descriptors(category: nil) where info.descriptor.category != .interests {
                if let categories, !categories.contains(info.descriptor.category) { continue }
                for scale in info.scales { expected.append((info, scale)) }
            }
            let sample = try SampleTitles.ids(of: store)
            self.store = store
            self.titleFilter = titleFilter
            self.expected = expected
            self.titles = try TitleCatalog(store).titles().filter { record in
                if let titleFilter { return titleFilter.contains(record.id) || titleFilter.contains(record.title) }
                return !sample.contains(record.id)
            }
        }

        /// The next chunk's requests (titles with nothing missing have none, so it may be empty);
        /// nil after the last title.
        public mutating func next() throws -> [ImputationRequest]? {
            guard position < titles.count else { return nil }
            let chunk = titles[position..<min(titles.count, position + max(1, chunkSize))]
            position += chunk.count
            let cells = try store.winners(ofEach: chunk.map { Subject.title($0.id) }, filter: CellFilter())
            var requests: [ImputationRequest] = []
            for (record, known) in zip(chunk, cells) {
                if let request = try request(record, known: known) { requests.append(request) }
            }
            return requests
        }

        mutating func request(_ record: JobTitleRecord, known: [CellValue]) throws -> ImputationRequest? {
            let filled = Set(known.map { "\($0.descriptorCode)/\($0.dimension)" })
            let missing = expected.filter { !filled.contains("\($0.0.descriptor.code)/\($0.1.dimension.rawValue)") }.map { info, scale in
                MissingCell(descriptorCode: info.descriptor.code, name: info.descriptor.name, dimension: scale.dimension,
                            definition: info.descriptor.definition, scale: RatingScale(scale))
            }
            guard !missing.isEmpty else { return nil }
            var unitGroupTitle: String?, lead: String?
            if let unitGroup = record.unitGroup, let header = try header(.unitGroup(unitGroup)) {
                unitGroupTitle = header.label
                lead = header.leadStatement
            }
            if let profile = record.profileCode, let header = try header(.profile(profile)) {
                lead = header.leadStatement ?? lead
            }
            let context = TitleContext(
                title: record.title, titleFrench: record.titleFR, function: record.function, family: record.family,
                managerialLevel: record.managerialLevel, unitGroupCode: record.unitGroup, unitGroupTitle: unitGroupTitle,
                leadStatement: lead,
                knownValues: known.filter { $0.dimension != .interestRank }.map {
                    KnownValue(descriptorCode: $0.descriptorCode, name: $0.descriptorName,
                               dimension: $0.dimension, value: $0.value)
                })
            return ImputationRequest(subject: .title(record.id), context: context, missing: missing, askedContext: record.askedContext)
        }

        mutating func header(_ subject: Subject) throws -> SubjectHeader? {
            if let known = headers[subject] { return known }
            let header = try store.subjectHeader(subject)
            headers[subject] = .some(header)
            return header
        }
    }

    /// Asks the model for the missing cells and offers the answers to the cascade. Throws
    /// `LLMError.everyRequestFailed` when every cell failed (the outcomes are saved first), so that
    /// a run that imputed nothing because the service never answered does not end as a success.
    public static func run(store: SQLiteStore, configuration: LLMConfiguration, runID: String,
                           requests: [ImputationRequest], transport: any HTTPTransport = URLSessionTransport(),
                           progress: (@Sendable (LLMProgress) -> Void)? = nil) async throws -> (LLMTierResult, SubmitSummary) {
        let client = OpenAIClient(configuration: configuration, transport: transport)
        let tier = LLMTier(client: client, recorder: LLMLog(store), runID: runID)
        let result = try await tier.run(requests, progress: progress)
        if result.summary.cellsAsked > 0, result.summary.failed == result.summary.cellsAsked {
            let detail = result.outcomes.last { $0.status == .failed }?.detail ?? "no answer"
            throw LLMError.everyRequestFailed(count: result.summary.cellsAsked, items: "cells", detail: detail)
        }
        // A model evaluated by `evaluate llm` answers with its measured confidence, its own kept beside it.
        var calibrated = result
        calibrated.candidates = try LLMConfidence.calibrate(result.candidates, model: configuration.model, store: store)
        let summary = try store.submit(calibrated.candidates, runID: runID)
        return (calibrated, summary)
    }
}
