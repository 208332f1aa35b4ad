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
    /// made up: they are asked about only when `titleFilter` names them.
    public static func requests(store: SQLiteStore, titleFilter: Set<String>? = nil,
                                categories: Set<Category>? = nil) throws -> [ImputationRequest] {
        let descriptors = try store.descriptors(category: nil)
        var expected: [(DescriptorInfo, DescriptorScale)] = []
        for info in descriptors where info.descriptor.category != .interests {
            if let categories, !categories.contains(info.descriptor.category) { continue }
            for scale in info.scales { expected.append((info, scale)) }
        }
        let titles = try TitleCatalog(store).titles()
        let sample = try SampleTitles.ids(of: store)
        var requests: [ImputationRequest] = []
        for record in titles {
            if let titleFilter, !titleFilter.contains(record.id), !titleFilter.contains(record.title) { continue }
            if titleFilter == nil && sample.contains(record.id) { continue }
            let subject = Subject.title(record.id)
            let known = try store.winners(of: subject, filter: CellFilter())
            let filled = Set(known.map { "\($0.descriptorCode)/\($0.dimension)" })
            let missing = expected.filter { !filled.contains("\($0.0.descriptor.code)/\($0.1.dimension.rawValue)") }.map { info, scale in
                MissingCell(descriptorCode: info.descriptor.code, name: info.descriptor.name, dimension: scale.dimension,
                            definition: info.descriptor.definition, scale: RatingScale(scale))
            }
            guard !missing.isEmpty else { continue }
            var unitGroupTitle: String?, lead: String?
            if let unitGroup = record.unitGroup, let header = try store.subjectHeader(.unitGroup(unitGroup)) {
                unitGroupTitle = header.label
                lead = header.leadStatement
            }
            if let profile = record.profileCode, let header = try store.subjectHeader(.profile(profile)) {
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
            requests.append(ImputationRequest(subject: subject, context: context, missing: missing,
                                              askedContext: record.askedContext))
        }
        return requests
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
        let summary = try store.submit(result.candidates, runID: runID)
        return (result, summary)
    }
}
