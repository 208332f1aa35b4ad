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
        var dataset = OaSISDataset()
        var oasisFiles: [SourceFileRecord] = []

        let noc = try LoadedCSV(files.nocStructure)
        dataset.nocClasses = try readNOC(noc)
        dataset.releases.append(ReleaseRecord(source: "noc", name: OaSISFiles.nocRelease, files: [noc.fileRecord]))

        let guide = try LoadedCSV(files.guide)
        let mapping = try LoadedCSV(files.headerMapping)
        let overrides = try LoadedCSV(files.scaleOverrides)
        let corrections = try CodeCorrections(files.codeCorrections)
        (dataset.descriptors, dataset.scales) = try readGuide(guide, scaleOverrides: overrides)
        oasisFiles += [guide.fileRecord, mapping.fileRecord, overrides.fileRecord, corrections.csv.fileRecord]

        let labels = try LoadedCSV(files.labels, corrections: corrections)
        let leads = try LoadedCSV(files.leadStatements, corrections: corrections)
        dataset.profiles = try readProfiles(labels: labels, leads: leads, unitGroups: Set(dataset.nocClasses.filter { $0.level == 5 }.map(\.code)))
        oasisFiles += [labels.fileRecord, leads.fileRecord]
        let known = Set(dataset.profiles.map(\.code))

        for (url, kind) in [(files.exampleTitles, ProfileText.Kind.exampleTitle), (files.mainDuties, .mainDuty),
                            (files.employmentRequirements, .employmentRequirement), (files.exclusions, .exclusion),
                            (files.workplaces, .workplace), (files.additionalInformation, .additionalInformation)] {
            let csv = try LoadedCSV(url, corrections: corrections)
            dataset.texts += try readTexts(csv, kind: kind, knownProfiles: known)
            oasisFiles.append(csv.fileRecord)
        }

        let reader = try RatingReader(descriptors: dataset.descriptors, scales: dataset.scales, mapping: mapping)
        for (category, url) in files.ratingFiles {
            let csv = try LoadedCSV(url, corrections: corrections)
            let result = try reader.read(csv, category: category, knownProfiles: known, observedAt: observedAt)
            dataset.profileRatings += result.candidates
            dataset.columnMatches += result.matches
            oasisFiles.append(csv.fileRecord)
        }
        dataset.releases.append(ReleaseRecord(source: "oasis", name: OaSISFiles.release, files: oasisFiles))
        return dataset
    }

    // MARK: NOC

    static func readNOC(_ csv: LoadedCSV) throws -> [NOCClass] {
        let level = try csv.column("Level"), hierarchy = try csv.column("Hierarchical structure")
        let code = try csv.column("Code - NOC 2021 V1.0"), title = try csv.column("Class title")
        let definition = try csv.column("Class definition")
        return try csv.records.map { record in
            guard let levelNumber = Int(record.fields[level]), (1...5).contains(levelNumber) else {
                throw csv.error(record, column: level, "\"\(record.fields[level])\" is not a NOC level (1-5)")
            }
            let raw = record.fields[code].trimmingCharacters(in: .whitespaces)
            // Each level has its own width: 1 digit for a broad category up to 5 for a unit group.
            guard !raw.isEmpty, raw.count <= levelNumber, raw.allSatisfy(\.isASCIIDigit) else {
                throw csv.error(record, column: code, "\"\(raw)\" is not a level-\(levelNumber) NOC code")
            }
            let padded = String(repeating: "0", count: levelNumber - raw.count) + raw
            return NOCClass(code: padded, level: levelNumber, hierarchy: record.fields[hierarchy],
                            title: record.fields[title].trimmingSpacesAndNBSP, definition: record.fields[definition],
                            parent: levelNumber > 1 ? String(padded.prefix(levelNumber - 1)) : nil)
        }
    }

    // MARK: Guide

    static func readGuide(_ csv: LoadedCSV, scaleOverrides: LoadedCSV) throws -> ([Descriptor], [DescriptorScale]) {
        let code = try csv.column("Code"), name = try csv.column("Name"), type = try csv.column("Structure type")
        let category = try csv.column("Category"), description = try csv.column("Description")
        var descriptors: [Descriptor] = []
        var scales: [DescriptorScale] = []
        var seen = Set<String>()
        for (index, record) in csv.records.enumerated() {
            let descriptorCode = record.fields[code].trimmingSpacesAndNBSP
            guard !descriptorCode.isEmpty, descriptorCode.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw csv.error(record, column: code, "\"\(descriptorCode)\" is not a guide code")
            }
            guard seen.insert(descriptorCode).inserted else {
                throw csv.error(record, column: code, "the code \(descriptorCode) appears twice")
            }
            let structure = record.fields[type].trimmingSpacesAndNBSP
            let descriptor = Descriptor(code: descriptorCode, name: record.fields[name].trimmingSpacesAndNBSP,
                                        category: record.fields[category].trimmingSpacesAndNBSP,
                                        structureType: structure, parent: parentCode(of: descriptorCode),
                                        definition: record.fields[description].trimmingSpacesAndNBSP, sortKey: index)
            descriptors.append(descriptor)
            if structure == "Descriptor" {
                scales += GuideScales.parse(descriptorCode: descriptorCode, description: descriptor.definition)
            }
        }
        // Reviewed additions where the guide states no scale (kept as data: data/mappings/).
        let oCode = try scaleOverrides.column("descriptor_code"), oDimension = try scaleOverrides.column("dimension")
        let oMin = try scaleOverrides.column("minimum"), oMax = try scaleOverrides.column("maximum")
        let oLabel = try scaleOverrides.column("label")
        for record in scaleOverrides.records {
            let descriptorCode = record.fields[oCode]
            guard seen.contains(descriptorCode) else {
                throw scaleOverrides.error(record, column: oCode, "\(descriptorCode) is not in the guide")
            }
            guard let minimum = Double(record.fields[oMin]), let maximum = Double(record.fields[oMax]) else {
                throw scaleOverrides.error(record, column: oMin, "minimum and maximum must be numbers")
            }
            let dimension = CellDimension(record.fields[oDimension])
            scales.removeAll { $0.descriptorCode == descriptorCode && $0.dimension == dimension }
            let interest = dimension == .interestRank
            scales.append(DescriptorScale(descriptorCode: descriptorCode, dimension: dimension, minimum: minimum,
                                          maximum: maximum, label: record.fields[oLabel], notApplicable: interest ? nil : 0))
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
        for record in leads.records { leadByCode[try leads.profileCode(record, column: sCode)] = record.fields[sText] }
        var seen = Set<String>()
        return try labels.records.map { record in
            let code = try labels.profileCode(record, column: lCode)
            guard seen.insert(code).inserted else { throw labels.error(record, column: lCode, "profile \(code) appears twice") }
            let unitGroup = Codes.unitGroup(ofProfile: code)
            guard unitGroups.contains(unitGroup) else {
                throw labels.error(record, column: lCode, "profile \(code) belongs to \(unitGroup), which is not a NOC 2021 unit group")
            }
            return Profile(code: code, unitGroup: unitGroup, label: record.fields[lLabel].trimmingSpacesAndNBSP,
                           leadStatement: leadByCode[code])
        }
    }

    static func readTexts(_ csv: LoadedCSV, kind: ProfileText.Kind, knownProfiles: Set<String>) throws -> [ProfileText] {
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
        var seq: [String: Int] = [:]
        return try csv.records.map { record in
            let code = try csv.profileCode(record, column: codeColumn)
            guard knownProfiles.contains(code) else {
                throw csv.error(record, column: codeColumn, "profile \(code) is not in the labels file")
            }
            let next = (seq[code] ?? 0) + 1
            seq[code] = next
            var reference = referenceColumn.map { record.fields[$0].trimmingSpacesAndNBSP }
            if kind == .exclusion, let raw = reference { reference = Codes.profile(raw) ?? raw }
            return ProfileText(profileCode: code, kind: kind, seq: next, text: record.fields[textColumn].trimmingSpacesAndNBSP,
                               qualifier: qualifierColumn.map { record.fields[$0].trimmingSpacesAndNBSP },
                               reference: reference)
        }
    }
}

/// Reads the scales a guide description states: "measured by frequency on a scale of 1-5 and
/// duration on a scale of 1-5" gives two dimensions, frequency and duration.
public enum GuideScales {
    public static func parse(descriptorCode: String, description: String) -> [DescriptorScale] {
        // "measured by X on a scale of a-b" and optionally "and [in] Y on a scale of c-d".
        let pattern = #"measured by\s+(.+?)\s+on a scale of\s+(\d+)\s*-\s*(\d+)(?:\s+and\s+(?:in\s+)?(.+?)\s+on a scale of\s+(\d+)\s*-\s*(\d+))?"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
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
