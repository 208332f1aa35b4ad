import Foundation
import JobForgeCore

/// Turns the OaSIS rating files into authoritative candidates. Each column is tied to a guide
/// descriptor by its trimmed name; a column the guide does not name goes through the reviewed
/// mapping table (`data/mappings/oasis_headers.csv`); a column neither knows stops the load.
struct RatingReader: Sendable {
    struct Target: Sendable {
        var descriptorCode: String
        var dimension: CellDimension
        var match: String
    }

    let descriptorsByCategoryAndName: [String: [String: Descriptor]]
    let scales: [String: DescriptorScale]
    let mapping: [String: [String: Target]]
    let mappingFile: String

    /// Holland letters and the interest descriptors they name.
    static let hollandCodes: [Character: String] = [
        "R": "C01a01", "I": "C01a02", "A": "C01a03", "S": "C01a04", "E": "C01a05", "C": "C01a06",
    ]

    init(descriptors: [Descriptor], scales: [DescriptorScale], mapping: LoadedCSV) throws {
        var byCategory: [String: [String: Descriptor]] = [:]
        for descriptor in descriptors where descriptor.structureType == .descriptor {
            byCategory[descriptor.category.rawValue, default: [:]][descriptor.name] = descriptor
        }
        descriptorsByCategoryAndName = byCategory
        var scaleIndex: [String: DescriptorScale] = [:]
        for scale in scales { scaleIndex["\(scale.descriptorCode)/\(scale.dimension.rawValue)"] = scale }
        self.scales = scaleIndex
        mappingFile = mapping.name

        let category = try mapping.column("category"), header = try mapping.column("header")
        let code = try mapping.column("descriptor_code"), dimension = try mapping.column("dimension")
        let match = try mapping.column("match")
        let knownCodes = Set(descriptors.map(\.code))
        var table: [String: [String: Target]] = [:]
        for record in mapping.records {
            let descriptorCode = mapping.text(record, code)
            guard knownCodes.contains(descriptorCode) else {
                throw mapping.error(record, column: code, "\(descriptorCode) is not a code of the guide")
            }
            table[mapping.text(record, category), default: [:]][mapping.trimmed(record, header)] =
                Target(descriptorCode: descriptorCode, dimension: CellDimension(mapping.text(record, dimension)),
                       match: mapping.text(record, match))
        }
        self.mapping = table
    }

    func scale(_ code: String, _ dimension: CellDimension) -> DescriptorScale? { scales["\(code)/\(dimension.rawValue)"] }

    /// The descriptor and dimension a column header stands for.
    func target(header: String, category: Category, csv: LoadedCSV) throws -> Target {
        let name = header.trimmingSpacesAndNBSP
        if let mapped = mapping[category.rawValue]?[name] { return mapped }
        if let descriptor = descriptorsByCategoryAndName[category.rawValue]?[name] {
            // A guide-named column carries the descriptor's first measure.
            guard let first = scales.values.filter({ $0.descriptorCode == descriptor.code }).min(by: { $0.position < $1.position })?.dimension else {
                throw InputError(file: csv.name, line: 1, column: name,
                                 message: "the guide states no scale for \(descriptor.code) \(descriptor.name); add one to data/mappings/oasis_scale_overrides.csv")
            }
            return Target(descriptorCode: descriptor.code, dimension: first, match: "guide name")
        }
        throw InputError(file: csv.name, line: 1, column: name,
                         message: "unknown header: no \(category.rawValue) descriptor of the guide is named \"\(name)\"; add a reviewed row to data/mappings/\(mappingFile)")
    }

    /// Makes the ratings of one file in `candidates` from position `count` on (advancing it) and
    /// tells how its columns were matched. The buffer has room for a candidate per rating column
    /// and row. `knownProfiles` gives each profile's position.
    func read(_ csv: LoadedCSV, category: Category, knownProfiles: [String: Int], observedAt: Date,
              into candidates: UnsafeMutableBufferPointer<Candidate>, count: inout Int) throws -> [OaSISDataset.ColumnMatch] {
        guard csv.header.count >= 3 else {
            throw InputError(file: csv.name, line: 1, message: "expected a code, a label and rating columns; found \(csv.header.count) columns")
        }
        precondition(candidates.count - count >= csv.count * (csv.header.count - 2), "no room for the ratings of \(csv.name)")
        let codeColumn = 0
        guard csv.header[0].trimmingSpacesAndNBSP.lowercased().hasPrefix("oasis code") else {
            throw InputError(file: csv.name, line: 1, column: csv.header[0], message: "the first column must be the OaSIS code")
        }
        // Each column's scale is looked up once here, not once per rating.
        var targets: [(column: Int, target: Target, header: String, scale: DescriptorScale?)] = []
        var seen = Set<String>()
        for column in 2..<csv.header.count {
            let header = csv.header[column].trimmingSpacesAndNBSP
            let target = try target(header: header, category: category, csv: csv)
            if category != .interests {
                guard seen.insert("\(target.descriptorCode)/\(target.dimension.rawValue)").inserted else {
                    throw InputError(file: csv.name, line: 1, column: header,
                                     message: "a second column for \(target.descriptorCode) \(target.dimension.rawValue)")
                }
                guard scale(target.descriptorCode, target.dimension) != nil else {
                    throw InputError(file: csv.name, line: 1, column: header,
                                     message: "no \(target.dimension.rawValue) scale is known for \(target.descriptorCode); add one to data/mappings/oasis_scale_overrides.csv")
                }
            }
            targets.append((column, target, header, scale(target.descriptorCode, target.dimension)))
        }
        let matches = targets.map {
            OaSISDataset.ColumnMatch(file: csv.name, header: $0.header, descriptorCode: $0.target.descriptorCode,
                                     dimension: $0.target.dimension, match: $0.target.match)
        }

        let release = OaSISFiles.release
        // The rating columns' fields, apart: the loop below reads only what it needs of each.
        let ratingColumns = targets.map(\.column)
        let ratingCells = targets.map { (descriptor: $0.target.descriptorCode, dimension: $0.target.dimension) }
        let ratingScales = category == .interests ? [] : targets.map { $0.scale! }
        var seenProfiles = [Bool](repeating: false, count: knownProfiles.count)
        for record in csv.records {
            let profile = try csv.profileCode(record, column: codeColumn)
            guard let position = knownProfiles[profile] else {
                throw csv.error(record, column: codeColumn, "profile \(profile) is not in the labels file")
            }
            guard !seenProfiles[position] else {
                throw csv.error(record, column: codeColumn, "profile \(profile) appears twice")
            }
            seenProfiles[position] = true
            let subject = Subject.profile(profile)
            let sourceIDs = [profile]  // shared by the row's ~250 ratings
            if category == .interests {
                for (column, _, header, _) in targets {
                    let raw = csv.trimmed(record, column)
                    // A profile may have fewer than three interests: an empty rank is no value.
                    guard !raw.isEmpty else { continue }
                    guard raw.count == 1, let letter = raw.uppercased().first, let code = Self.hollandCodes[letter],
                          let rank = Double(header.filter(\.isNumber)) else {
                        throw csv.error(record, column: column, "\"\(raw)\" is not a Holland code letter (R, I, A, S, E, C)")
                    }
                    (candidates.baseAddress! + count).initialize(to: Candidate(
                        key: CellKey(subject: subject, descriptor: code, dimension: .interestRank), value: rank, text: raw,
                        source: .authoritative, method: .oasisRating, sourceLevel: .l6, sourceIDs: sourceIDs,
                        confidence: 1, release: release, observedAt: observedAt))
                    count += 1
                }
                continue
            }
            for index in ratingColumns.indices {
                let column = ratingColumns[index]
                let value: Int
                if let digits = wholeNumber(csv, csv.range(record, column)) {
                    value = digits
                } else {
                    let raw = csv.trimmed(record, column)
                    guard let number = Int(raw) else {
                        throw csv.error(record, column: column, "\"\(raw)\" is not a rating: a whole number was expected")
                    }
                    value = number
                }
                guard ratingScales[index].accepts(Double(value)) else {
                    throw csv.error(record, column: column, "\(value) is off the scale \(ratingScales[index].summary)")
                }
                (candidates.baseAddress! + count).initialize(to: Candidate(
                    key: CellKey(subject: subject, descriptor: ratingCells[index].descriptor, dimension: ratingCells[index].dimension),
                    value: Double(value), source: .authoritative, method: .oasisRating, sourceLevel: .l6,
                    sourceIDs: sourceIDs, confidence: 1, release: release, observedAt: observedAt))
                count += 1
            }
        }
        // A file cut short (at a row boundary, so every row read is well formed) must not pass:
        // the profiles it lacks would silently take lower sources' values.
        let missing = knownProfiles.filter { !seenProfiles[$0.value] }.sorted { $0.value < $1.value }.map(\.key)
        if !missing.isEmpty {
            let shown = missing.prefix(10).joined(separator: ", ") + (missing.count > 10 ? ", ... (\(missing.count - 10) more)" : "")
            let endLine = csv.count > 0 ? csv.line(csv.count - 1) + 1 : 2
            throw InputError(file: csv.name, line: endLine,
                             message: "the file ends here, without \(missing.count) of the \(knownProfiles.count) profiles of the labels file: \(shown); "
                                 + "a rating file rates every profile: is the file cut short? Restore it from the OaSIS release")
        }
        return matches
    }

    /// A field of one to three ASCII digits and nothing else, as nearly every rating is written,
    /// read straight from the bytes; anything else goes the general way (trim, then `Int`).
    @inline(__always)
    private func wholeNumber(_ csv: LoadedCSV, _ range: Range<Int>) -> Int? {
        guard (1...3).contains(range.count) else { return nil }
        return csv.table.bytes.withUnsafeBufferPointer { bytes -> Int? in
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) &- 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }
}
