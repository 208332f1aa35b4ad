import Foundation
import JobForgeCore

/// Everything one OaSIS 2023 / NOC 2021 release holds, read and checked in memory before
/// anything is written: a malformed file stops the load with its file, line and column, and
/// nothing of that load reaches the store.
public struct OaSISDataset: Sendable {
    public var nocClasses: [NOCClass] = []
    public var profiles: [Profile] = []
    public var texts: [ProfileText] = []
    public var descriptors: [Descriptor] = []
    public var scales: [DescriptorScale] = []
    /// The authoritative ratings of the 900 profiles (L6), one candidate per rated cell.
    public var profileRatings: [Candidate] = []
    /// How each rating column was identified: exactly by the guide's name, or by the mapping table.
    public var columnMatches: [ColumnMatch] = []
    public var releases: [ReleaseRecord] = []

    /// How a rating file's column was tied to a descriptor.
    public struct ColumnMatch: Sendable, Codable, Equatable {
        public var file: String
        public var header: String
        public var descriptorCode: String
        public var dimension: CellDimension
        /// `guide name` or the mapping table's match kind (`manual`, `second column`).
        public var match: String
    }

    public init() {}

    /// Reads and checks every file. `observedAt` stamps the candidates (the load time).
    public static func load(_ files: OaSISFiles, observedAt: Date = Date()) throws -> OaSISDataset {
        try load(files, inputs: nil, observedAt: observedAt, meanwhile: { _ in })
    }

    /// Reads and checks the files already read (and hashed) in `inputs`.
    ///
    /// The ratings take the longest to read: they are read on another core, and `meanwhile` is
    /// given the rest of the release as soon as it is read (NOC, guide, profiles and texts; no
    /// ratings, rating columns or OaSIS release record yet), to write it in the meantime. When
    /// both fail, the load's error is thrown, as if the whole load had come first.
    public static func load(_ inputs: OaSISInputs, observedAt: Date = Date(),
                            meanwhile: (OaSISDataset) throws -> Void = { _ in }) throws -> OaSISDataset {
        try load(inputs.files, inputs: inputs, observedAt: observedAt, meanwhile: meanwhile)
    }

    private static func load(_ files: OaSISFiles, inputs: OaSISInputs?, observedAt: Date,
                             meanwhile: (OaSISDataset) throws -> Void) throws -> OaSISDataset {
        var dataset = OaSISDataset()
        var oasisFiles: [SourceFileRecord] = []

        let noc = try LoadedCSV(files.nocStructure, inputs: inputs)
        dataset.nocClasses = try readNOC(noc)
        dataset.releases.append(ReleaseRecord(source: .noc, name: OaSISFiles.nocRelease, files: [noc.fileRecord]))

        let guide = try LoadedCSV(files.guide, inputs: inputs)
        let mapping = try LoadedCSV(files.headerMapping, inputs: inputs)
        let overrides = try LoadedCSV(files.scaleOverrides, inputs: inputs)
        let corrections = try CodeCorrections(files.codeCorrections, inputs: inputs)
        (dataset.descriptors, dataset.scales) = try readGuide(guide, scaleOverrides: overrides)
        oasisFiles += [guide.fileRecord, mapping.fileRecord, overrides.fileRecord, corrections.csv.fileRecord]

        let labels = try LoadedCSV(files.labels, inputs: inputs, corrections: corrections)
        let leads = try LoadedCSV(files.leadStatements, inputs: inputs, corrections: corrections)
        dataset.profiles = try readProfiles(labels: labels, leads: leads, unitGroups: Set(dataset.nocClasses.filter { $0.level == 5 }.map(\.code)))
        oasisFiles += [labels.fileRecord, leads.fileRecord]
        // Each profile's position: the files are checked against it, and per-profile state is kept by it.
        let known = Dictionary(uniqueKeysWithValues: dataset.profiles.enumerated().map { ($1.code, $0) })

        // The ratings depend only on what is read above: they are read on another core from here
        // on. Their failure is thrown after one of the texts, which come first in a sequential read.
        let (descriptors, scales) = (dataset.descriptors, dataset.scales)
        let ratings = BlockingBackground {
            try readRatings(files, inputs: inputs, corrections: corrections, descriptors: descriptors, scales: scales,
                            mapping: mapping, knownProfiles: known, observedAt: observedAt)
        }
        let texts: [ProfileText]
        do {
            var read: [ProfileText] = []
            for (url, kind) in [(files.exampleTitles, ProfileText.Kind.exampleTitle), (files.mainDuties, .mainDuty),
                                (files.employmentRequirements, .employmentRequirement), (files.exclusions, .exclusion),
                                (files.workplaces, .workplace), (files.additionalInformation, .additionalInformation)] {
                let csv = try LoadedCSV(url, inputs: inputs, corrections: corrections)
                try readTexts(csv, kind: kind, knownProfiles: known, into: &read)
                oasisFiles.append(csv.fileRecord)
            }
            texts = read
        } catch {
            _ = try? ratings.value()  // the worker ends before the error is thrown
            throw error
        }
        dataset.texts = texts
        let wroteMeanwhile = Result { try meanwhile(dataset) }
        let (candidates, matches, records) = try ratings.value()
        try wroteMeanwhile.get()
        dataset.profileRatings = candidates
        dataset.columnMatches = matches
        oasisFiles += records
        dataset.releases.append(ReleaseRecord(source: .oasis, name: OaSISFiles.release, files: oasisFiles))
        return dataset
    }

    /// Only what describes each unit group in words: the NOC structure, the profiles (labels, lead
    /// statements), example titles and main duties; no guide, no ratings. What the offline NOC
    /// coder indexes, read in a fraction of the whole load's time.
    public static func loadDescriptions(_ files: OaSISFiles) throws -> OaSISDataset {
        var dataset = OaSISDataset()
        dataset.nocClasses = try readNOC(try LoadedCSV(files.nocStructure))
        let corrections = try CodeCorrections(files.codeCorrections)
        dataset.profiles = try readProfiles(labels: try LoadedCSV(files.labels, corrections: corrections),
                                            leads: try LoadedCSV(files.leadStatements, corrections: corrections),
                                            unitGroups: Set(dataset.nocClasses.filter { $0.level == 5 }.map(\.code)))
        let known = Dictionary(uniqueKeysWithValues: dataset.profiles.enumerated().map { ($1.code, $0) })
        for (url, kind) in [(files.exampleTitles, ProfileText.Kind.exampleTitle), (files.mainDuties, .mainDuty)] {
            try readTexts(try LoadedCSV(url, corrections: corrections), kind: kind, knownProfiles: known, into: &dataset.texts)
        }
        return dataset
    }

    /// The ratings of every rating file, how their columns were matched, and the files' records.
    static func readRatings(_ files: OaSISFiles, inputs: OaSISInputs?, corrections: CodeCorrections,
                            descriptors: [Descriptor], scales: [DescriptorScale], mapping: LoadedCSV,
                            knownProfiles: [String: Int], observedAt: Date)
        throws -> ([Candidate], [ColumnMatch], [SourceFileRecord]) {
        let reader = try RatingReader(descriptors: descriptors, scales: scales, mapping: mapping)
        // Parsed ahead to size the ratings array once; a file's failure is thrown in its turn
        // below, so errors still come in the files' order.
        let ratingFiles = files.ratingFiles
        let parsed = ratingFiles.map { file in Result { try LoadedCSV(file.url, inputs: inputs, corrections: corrections) } }
        let capacity = parsed.reduce(0) { total, csv in
            total + ((try? csv.get()).map { $0.count * max($0.header.count - 2, 0) } ?? 0)
        }
        var matches: [ColumnMatch] = []
        var records: [SourceFileRecord] = []
        // Each candidate is made in place (223,020 of them, 40 MB): never copied, never moved.
        let candidates = try [Candidate](unsafeUninitializedCapacity: capacity) { buffer, count in
            for (index, (category, _)) in ratingFiles.enumerated() {
                let csv = try parsed[index].get()
                matches += try reader.read(csv, category: category, knownProfiles: knownProfiles, observedAt: observedAt,
                                           into: buffer, count: &count)
                records.append(csv.fileRecord)
            }
        }
        return (candidates, matches, records)
    }

    // MARK: NOC

    static func readNOC(_ csv: LoadedCSV) throws -> [NOCClass] {
        let level = try csv.column("Level"), hierarchy = try csv.column("Hierarchical structure")
        let code = try csv.column("Code - NOC 2021 V1.0"), title = try csv.column("Class title")
        let definition = try csv.column("Class definition")
        return try csv.records.map { record in
            let levelText = csv.text(record, level)
            guard let levelNumber = Int(levelText), (1...5).contains(levelNumber) else {
                throw csv.error(record, column: level, "\"\(levelText)\" is not a NOC level (1-5)")
            }
            let raw = trimmingWhitespace(csv.text(record, code))
            // Each level has its own width: 1 digit for a broad category up to 5 for a unit group.
            guard !raw.isEmpty, raw.count <= levelNumber, raw.allSatisfy(\.isASCIIDigit) else {
                throw csv.error(record, column: code, "\"\(raw)\" is not a level-\(levelNumber) NOC code")
            }
            let padded = String(repeating: "0", count: levelNumber - raw.count) + raw
            return NOCClass(code: padded, level: levelNumber, hierarchy: csv.text(record, hierarchy),
                            title: csv.trimmed(record, title), definition: csv.text(record, definition),
                            parent: levelNumber > 1 ? String(padded.prefix(levelNumber - 1)) : nil)
        }
    }

    /// `trimmingCharacters(in: .whitespaces)`, skipped when the ends are visible ASCII (almost
    /// always): Foundation's trimming goes through NSString on Linux.
    static func trimmingWhitespace(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return text
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    // MARK: Guide

    static func readGuide(_ csv: LoadedCSV, scaleOverrides: LoadedCSV) throws -> ([Descriptor], [DescriptorScale]) {
        let code = try csv.column("Code"), name = try csv.column("Name"), type = try csv.column("Structure type")
        let category = try csv.column("Category"), description = try csv.column("Description")
        var descriptors: [Descriptor] = []
        var scales: [DescriptorScale] = []
        var seen = Set<String>()
        for record in csv.records {
            let descriptorCode = csv.trimmed(record, code)
            guard !descriptorCode.isEmpty, descriptorCode.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw csv.error(record, column: code, "\"\(descriptorCode)\" is not a guide code")
            }
            guard seen.insert(descriptorCode).inserted else {
                throw csv.error(record, column: code, "the code \(descriptorCode) appears twice")
            }
            guard let structure = StructureType(rawValue: csv.trimmed(record, type)) else {
                throw csv.error(record, column: type, "\"\(csv.trimmed(record, type))\" is not one of "
                                + StructureType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let descriptorCategory = Category(rawValue: csv.trimmed(record, category)) else {
                throw csv.error(record, column: category, "\"\(csv.trimmed(record, category))\" is not one of "
                                + Category.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let descriptor = Descriptor(code: descriptorCode, name: csv.trimmed(record, name), category: descriptorCategory,
                                        structureType: structure, parent: parentCode(of: descriptorCode),
                                        definition: csv.trimmed(record, description), sortKey: record)
            descriptors.append(descriptor)
            if structure == .descriptor {
                scales += GuideScales.parse(descriptorCode: descriptorCode, description: descriptor.definition)
            }
        }
        // Reviewed additions where the guide states no scale (kept as data: data/mappings/).
        let oCode = try scaleOverrides.column("descriptor_code"), oDimension = try scaleOverrides.column("dimension")
        let oMin = try scaleOverrides.column("minimum"), oMax = try scaleOverrides.column("maximum")
        let oLabel = try scaleOverrides.column("label")
        for record in scaleOverrides.records {
            let descriptorCode = scaleOverrides.text(record, oCode)
            guard seen.contains(descriptorCode) else {
                throw scaleOverrides.error(record, column: oCode, "\(descriptorCode) is not in the guide")
            }
            guard let minimum = Double(scaleOverrides.text(record, oMin)), let maximum = Double(scaleOverrides.text(record, oMax)) else {
                throw scaleOverrides.error(record, column: oMin, "minimum and maximum must be numbers")
            }
            let dimension = CellDimension(scaleOverrides.text(record, oDimension))
            scales.removeAll { $0.descriptorCode == descriptorCode && $0.dimension == dimension }
            let interest = dimension == .interestRank
            scales.append(DescriptorScale(descriptorCode: descriptorCode, dimension: dimension, minimum: minimum,
                                          maximum: maximum, label: scaleOverrides.text(record, oLabel),
                                          notApplicable: interest ? nil : 0))
        }
        return (descriptors, scales)
    }

    /// `A01a02` -> `A01a`, `A01a` -> `A01`, `A01` -> `A`, `A` -> nil.
    static func parentCode(of code: String) -> String? {
        let characters = Array(code)
        switch characters.count {
        case 6: return String(characters.prefix(4))
        case 4: return String(characters.prefix(3))
        case 3: return String(characters.prefix(1))
        default: return nil
        }
    }

    // MARK: Profiles and texts

    static func readProfiles(labels: LoadedCSV, leads: LoadedCSV, unitGroups: Set<String>) throws -> [Profile] {
        let lCode = try labels.column("OaSIS profile code"), lLabel = try labels.column("Label")
        let sCode = try leads.column("OaSIS profile code"), sText = try leads.column("Lead statement")
        var leadByCode: [String: String] = [:]
        for record in leads.records { leadByCode[try leads.profileCode(record, column: sCode)] = leads.text(record, sText) }
        var seen = Set<String>()
        return try labels.records.map { record in
            let code = try labels.profileCode(record, column: lCode)
            guard seen.insert(code).inserted else { throw labels.error(record, column: lCode, "profile \(code) appears twice") }
            let unitGroup = Codes.unitGroup(ofProfile: code)
            guard unitGroups.contains(unitGroup) else {
                throw labels.error(record, column: lCode, "profile \(code) belongs to \(unitGroup), which is not a NOC 2021 unit group")
            }
            return Profile(code: code, unitGroup: unitGroup, label: try labels.trimmed(record, lLabel, limit: .name),
                           leadStatement: leadByCode[code])
        }
    }

    /// Appends the texts of one file to `texts`; `knownProfiles` gives each profile's position.
    static func readTexts(_ csv: LoadedCSV, kind: ProfileText.Kind, knownProfiles: [String: Int],
                          into texts: inout [ProfileText]) throws {
        let codeColumn = try csv.column("OaSIS profile code")
        let textColumn: Int, qualifierColumn: Int?, referenceColumn: Int?
        switch kind {
        case .exampleTitle:
            textColumn = try csv.column("Job title text")
            qualifierColumn = try csv.column("Job title type")
            referenceColumn = try csv.column("Concordance number")
        case .mainDuty: (textColumn, qualifierColumn, referenceColumn) = (try csv.column("Main duties"), nil, nil)
        case .employmentRequirement: (textColumn, qualifierColumn, referenceColumn) = (try csv.column("Employment requirement"), nil, nil)
        case .exclusion: (textColumn, qualifierColumn, referenceColumn) = (try csv.column("Job title"), nil, try csv.column("Excluded code"))
        case .workplace: (textColumn, qualifierColumn, referenceColumn) = (try csv.column("Workplace/employer name"), nil, nil)
        case .additionalInformation: (textColumn, qualifierColumn, referenceColumn) = (try csv.column("Additional information (EN)"), nil, nil)
        }
        // The last sequence number of each profile, by its position.
        var seq = [Int](repeating: 0, count: knownProfiles.count)
        texts.reserveCapacity(texts.count + csv.count)
        for record in csv.records {
            let code = try csv.profileCode(record, column: codeColumn)
            guard let position = knownProfiles[code] else {
                throw csv.error(record, column: codeColumn, "profile \(code) is not in the labels file")
            }
            seq[position] += 1
            var reference = referenceColumn.map { csv.trimmed(record, $0) }
            if kind == .exclusion, let raw = reference { reference = LoadedCSV.profileCode(raw) ?? raw }
            // Titles and names are one line; the other kinds are free text (checked for every field on reading).
            let text = kind.isName ? try csv.trimmed(record, textColumn, limit: .name) : csv.trimmed(record, textColumn)
            texts.append(ProfileText(profileCode: code, kind: kind, seq: seq[position], text: text,
                                     qualifier: qualifierColumn.map { csv.trimmed(record, $0) }, reference: reference))
        }
    }
}

extension ProfileText.Kind {
    /// Whether the text is a title or a name (held to `TextLimit.name`), not free text.
    var isName: Bool {
        switch self {
        case .exampleTitle, .exclusion, .workplace: true
        case .mainDuty, .employmentRequirement, .additionalInformation: false
        }
    }
}

/// Reads the scales a guide description states: "measured by frequency on a scale of 1-5 and
/// duration on a scale of 1-5" gives two dimensions, frequency and duration.
public enum GuideScales {
    /// "measured by X on a scale of a-b" and optionally "and [in] Y on a scale of c-d"; compiled
    /// once, not once per descriptor.
    private static let measurePattern = try? NSRegularExpression(
        pattern: #"measured by\s+(.+?)\s+on a scale of\s+(\d+)\s*-\s*(\d+)(?:\s+and\s+(?:in\s+)?(.+?)\s+on a scale of\s+(\d+)\s*-\s*(\d+))?"#)

    public static func parse(descriptorCode: String, description: String) -> [DescriptorScale] {
        guard let regex = measurePattern,
              let match = regex.firstMatch(in: description, range: NSRange(description.startIndex..., in: description))
        else { return [] }
        func text(_ group: Int) -> String? {
            Range(match.range(at: group), in: description).map { String(description[$0]) }
        }
        var scales: [DescriptorScale] = []
        for (measureGroup, position) in [(1, 1), (4, 2)] {
            guard var measure = text(measureGroup), let minimum = text(measureGroup + 1).flatMap(Double.init),
                  let maximum = text(measureGroup + 2).flatMap(Double.init) else { continue }
            // The guide sometimes doubles a word ("proficiency level level").
            if measure.hasSuffix("level level") { measure = String(measure.dropLast(6)) }
            let dimension = dimension(forMeasure: measure)
            guard !scales.contains(where: { $0.dimension == dimension }) else { continue }
            scales.append(DescriptorScale(descriptorCode: descriptorCode, dimension: dimension, minimum: minimum,
                                          maximum: maximum, label: measure, notApplicable: 0, position: position))
        }
        return scales
    }

    /// The dimension a guide measure names.
    public static func dimension(forMeasure measure: String) -> CellDimension {
        let lowered = measure.lowercased()
        if lowered.contains("proficiency") || lowered.contains("knowledge level") || lowered.contains("complexity level") {
            return .level
        }
        if lowered == "importance" { return .importance }
        if lowered == "frequency" { return .frequency }
        if lowered == "duration" { return .duration }
        return .context
    }
}
