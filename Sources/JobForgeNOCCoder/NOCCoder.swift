import Foundation
import JobForgeCore

/// An offline NOC 2021 coder: ranks unit groups for a job title from what OaSIS says of each
/// group, with the example titles that matched as evidence. Built once (a fraction of a second
/// for the 516 unit groups), then pure and safe to share.
///
/// ```swift
/// let coder = NOCCoder(documents)
/// let best = coder.rank("data scientist", top: 5)
/// best[0].code           // "21211"
/// best[0].matchedTitles  // ["data scientist", "data science specialist", ...]
/// ```
///
/// The score of a unit group adds three signals:
/// - BM25F over the group's fields (example titles weigh most, then labels, lead statements, main
///   duties) on folded words, word bigrams and character 3-5-grams, divided by the best group's;
/// - the TF-IDF cosine of the nearest single example title (`tuning.nearestTitle` times);
/// - for the groups best so far, the fuzzy scorer's WRatio against their nearest example titles
///   and their labels (`tuning.fuzzy` times, WRatio / 100).
/// Ties go to the lower code.
public struct NOCCoder: Sendable {
    /// The weights; the defaults were tuned by leave-one-out over the OaSIS example titles
    /// (`jobforge-bench noc-coder`).
    public struct Tuning: Sendable, Equatable {
        /// BM25F field weights: example titles, labels, lead statements, main duties.
        public var exampleTitles = 3.0, labels = 2.0, leadStatements = 0.6, mainDuties = 0.3
        /// Feature kind weights in BM25F (a trigram says less than a word).
        public var words = 1.0, bigrams = 1.0, characters = 0.15
        public var k1 = 1.2
        /// BM25 length normalisation per field (example titles, labels, lead statements, main duties).
        public var b = [0.75, 0.3, 0.75, 0.75]
        /// Weight of the nearest example title's cosine, and of the characters in that cosine.
        public var nearestTitle = 0.6, nearestTitleCharacters = 0.5
        /// Weight of the fuzzy scorer, and how many groups it re-ranks.
        public var fuzzy = 0.4, fuzzyGroups = 20
        public init() {}
    }

    /// A ranked unit group.
    public struct Candidate: Sendable, Equatable, Codable {
        public var code: String
        public var title: String
        public var score: Double
        /// The group's example titles nearest the title, best first (up to 3): the evidence.
        public var matchedTitles: [String]

        public init(code: String, title: String, score: Double, matchedTitles: [String]) {
            self.code = code
            self.title = title
            self.score = score
            self.matchedTitles = matchedTitles
        }
    }

    public let tuning: Tuning
    let groups: [Group]
    let vocabulary: [String: Int32]
    let kinds: [NOCText.Kind]
    /// Group-level postings by term: `groupPostings[groupPostingStart[t]..<groupPostingStart[t + 1]]`, by group.
    let groupPostingStart: [Int]
    let groupPostings: [GroupPosting]
    /// Each group's field lengths (features counted), `fieldLength[group * 4 + field]`, and the means.
    let fieldLength: [Double]
    let meanFieldLength: [Double]
    /// Example titles: their group, their features (for leaving one out) and their unit TF-IDF vectors.
    let titleGroup: [Int32]
    let titleFeatureStart: [Int]
    let titleFeatures: [Int32]
    let titleFeatureCounts: [Double]
    let titleText: [String]
    let titlePostingStart: [Int]
    let titlePostings: [TitlePosting]
    let titleIDF: [Double]
    /// What the fuzzy scorer compares: example title keys (in title order) and each group's label keys.
    let titleKeys: FuzzyScorer.PreparedBatch
    let labelKeys: FuzzyScorer.PreparedBatch

    struct Group: Sendable {
        var code: String
        var title: String
        var titles: Range<Int>
        var labels: Range<Int>
    }

    struct GroupPosting: Sendable {
        var group: Int32
        /// The term's count in each field: example titles, labels, lead statements, main duties.
        var counts: SIMD4<Double>
    }

    struct TitlePosting: Sendable {
        var title: Int32
        var weight: Double
    }

    static let fieldCount = 4

    public var unitGroupCount: Int { groups.count }
    public var exampleTitleCount: Int { titleText.count }

    /// An example title and its unit group code, by position (0..<exampleTitleCount): what
    /// leave-one-out evaluation hides.
    public func exampleTitle(at index: Int) -> (text: String, code: String) {
        (titleText[index], groups[Int(titleGroup[index])].code)
    }

    public init(_ documents: [UnitGroupDocument], tuning: Tuning = Tuning()) {
        self.tuning = tuning
        let documents = documents.sorted { $0.code < $1.code }
        var vocabulary: [String: Int32] = [:]
        var kinds: [NOCText.Kind] = []
        func id(_ feature: String) -> Int32 {
            if let known = vocabulary[feature] { return known }
            let new = Int32(kinds.count)
            vocabulary[feature] = new
            kinds.append(NOCText.kind(of: feature))
            return new
        }
        var groups: [Group] = []
        var fieldLength: [Double] = []
        var groupTerms: [[Int32: SIMD4<Double>]] = []
        var titleGroup: [Int32] = [], titleFeatureStart = [0], titleFeatures: [Int32] = [], titleFeatureCounts: [Double] = []
        var titleText: [String] = [], titleKeys: [String] = [], labelKeys: [String] = []
        for (index, document) in documents.enumerated() {
            var terms: [Int32: SIMD4<Double>] = [:]
            var lengths = SIMD4<Double>(repeating: 0)
            func add(_ text: String, field: Int, characters: Bool) -> [(Int32, Double)] {
                var added: [(Int32, Double)] = []
                for (feature, count) in NOCText.features(text, characterNGrams: characters) {
                    let term = id(feature)
                    terms[term, default: .zero][field] += Double(count)
                    lengths[field] += Double(count)
                    added.append((term, Double(count)))
                }
                return added
            }
            let firstTitle = titleText.count
            for title in document.exampleTitles {
                let features = add(title, field: 0, characters: true).sorted { $0.0 < $1.0 }
                titleGroup.append(Int32(index))
                titleFeatures += features.map(\.0)
                titleFeatureCounts += features.map(\.1)
                titleFeatureStart.append(titleFeatures.count)
                titleText.append(title)
                titleKeys.append(NOCText.matchKey(title))
            }
            let firstLabel = labelKeys.count
            for label in Set(document.labels + [document.title]).sorted() {
                _ = add(label, field: 1, characters: true)
                labelKeys.append(NOCText.matchKey(label))
            }
            for lead in document.leadStatements { _ = add(lead, field: 2, characters: false) }
            for duty in document.mainDuties { _ = add(duty, field: 3, characters: false) }
            groups.append(Group(code: document.code, title: document.title, titles: firstTitle..<titleText.count,
                                labels: firstLabel..<labelKeys.count))
            fieldLength += [lengths[0], lengths[1], lengths[2], lengths[3]]
            groupTerms.append(terms)
        }
        let termCount = kinds.count
        // Postings by term, each list in group order.
        var groupPostingStart = [Int](repeating: 0, count: termCount + 1)
        for terms in groupTerms { for term in terms.keys { groupPostingStart[Int(term) + 1] += 1 } }
        for term in 0..<termCount { groupPostingStart[term + 1] += groupPostingStart[term] }
        var fill = groupPostingStart
        var groupPostings = [GroupPosting](repeating: GroupPosting(group: 0, counts: .zero), count: groupPostingStart[termCount])
        for (group, terms) in groupTerms.enumerated() {
            for (term, counts) in terms {
                groupPostings[fill[Int(term)]] = GroupPosting(group: Int32(group), counts: counts)
                fill[Int(term)] += 1
            }
        }
        let meanFieldLength = (0..<Self.fieldCount).map { field in
            max(1, stride(from: field, to: fieldLength.count, by: Self.fieldCount).reduce(0.0) { $0 + fieldLength[$1] } / Double(max(groups.count, 1)))
        }
        // Title-level TF-IDF: document frequency over example titles.
        var titleDF = [Int](repeating: 0, count: termCount)
        for term in titleFeatures { titleDF[Int(term)] += 1 }
        let titleCount = Double(titleText.count)
        let titleIDF = titleDF.map { log((1 + titleCount) / (1 + Double($0))) + 1 }
        var titlePostingStart = [Int](repeating: 0, count: termCount + 1)
        for term in titleFeatures { titlePostingStart[Int(term) + 1] += 1 }
        for term in 0..<termCount { titlePostingStart[term + 1] += titlePostingStart[term] }
        fill = titlePostingStart
        var titlePostings = [TitlePosting](repeating: TitlePosting(title: 0, weight: 0), count: titleFeatures.count)
        let characterWeight = tuning.nearestTitleCharacters
        for title in 0..<titleText.count {
            let range = titleFeatureStart[title]..<titleFeatureStart[title + 1]
            let weights = range.map { position in
                Self.titleWeight(count: titleFeatureCounts[position], idf: titleIDF[Int(titleFeatures[position])],
                                 kind: kinds[Int(titleFeatures[position])], characterWeight: characterWeight)
            }
            let norm = max(sqrt(weights.reduce(0) { $0 + $1 * $1 }), 1e-12)
            for (offset, position) in range.enumerated() {
                let term = Int(titleFeatures[position])
                titlePostings[fill[term]] = TitlePosting(title: Int32(title), weight: weights[offset] / norm)
                fill[term] += 1
            }
        }
        self.groups = groups
        self.vocabulary = vocabulary
        self.kinds = kinds
        self.groupPostingStart = groupPostingStart
        self.groupPostings = groupPostings
        self.fieldLength = fieldLength
        self.meanFieldLength = meanFieldLength
        self.titleGroup = titleGroup
        self.titleFeatureStart = titleFeatureStart
        self.titleFeatures = titleFeatures
        self.titleFeatureCounts = titleFeatureCounts
        self.titleText = titleText
        self.titlePostingStart = titlePostingStart
        self.titlePostings = titlePostings
        self.titleIDF = titleIDF
        self.titleKeys = FuzzyScorer.PreparedBatch(titleKeys)
        self.labelKeys = FuzzyScorer.PreparedBatch(labelKeys)
    }

    static func titleWeight(count: Double, idf: Double, kind: NOCText.Kind, characterWeight: Double) -> Double {
        (1 + log(count)) * idf * (kind == .characters ? characterWeight : 1)
    }

    // MARK: Ranking

    /// The `top` unit groups for `title`, best first, each with its score and evidence. Empty
    /// when the title has no word the index knows.
    public func rank(_ title: String, top: Int = 5) -> [Candidate] {
        let scored = score(title, leavingOut: nil, also: nil)
        return candidates(scored, top: top)
    }

    /// `rank` for the example title at `index` with that title hidden from the index, as if
    /// OaSIS had never listed it: leave-one-out evaluation.
    public func rank(leavingOutExampleTitle index: Int, top: Int = 5) -> [Candidate] {
        candidates(score(titleText[index], leavingOut: index, also: nil), top: top)
    }

    /// The position (1-based) and candidate of unit group `code` for `title`; nil for a code the
    /// index does not have.
    func standing(of code: String, for scored: Scored) -> (rank: Int, candidate: Candidate)? {
        guard let group = groups.firstIndex(where: { $0.code == code }) else { return nil }
        let score = scored.final[group]
        let rank = 1 + scored.final.indices.filter { other in
            scored.final[other] > score || (scored.final[other] == score && other < group)
        }.count
        return (rank, candidate(group, scored))
    }

    func candidates(_ scored: Scored, top: Int) -> [Candidate] {
        scored.order.prefix(top).map { candidate($0, scored) }
    }

    func candidate(_ group: Int, _ scored: Scored) -> Candidate {
        Candidate(code: groups[group].code, title: groups[group].title, score: scored.final[group],
                  matchedTitles: scored.nearest(in: group, of: self).prefix(3).map { titleText[$0] })
    }

    /// Every group's score for one query.
    struct Scored {
        /// The final score of each group (BM25F share + nearest title + fuzzy where computed).
        var final: [Double]
        /// Groups by final score, best first, ties by code; only those that scored.
        var order: [Int]
        /// The cosine of each example title with the query (0 for the hidden one).
        var titleCosine: [Double]
        var hidden: Int?

        /// The group's example titles that share something with the query, nearest first.
        func nearest(in group: Int, of coder: NOCCoder) -> [Int] {
            coder.groups[group].titles.filter { $0 != hidden && titleCosine[$0] > 0 }
                .sorted { titleCosine[$0] != titleCosine[$1] ? titleCosine[$0] > titleCosine[$1] : $0 < $1 }
        }
    }

    /// Scores every group for `text`, with the example title `hidden` taken out of the index, and
    /// the fuzzy signal computed for the best groups and for group `also`.
    func score(_ text: String, leavingOut hidden: Int?, also: Int?) -> Scored {
        let features = NOCText.features(text, characterNGrams: true).compactMap { feature, count in
            vocabulary[feature].map { (term: $0, count: Double(count)) }
        }.sorted { $0.term < $1.term }
        let groupCount = groups.count
        var bm25 = [Double](repeating: 0, count: groupCount)
        // The hidden title's own counts, taken out of its group's example-title field.
        var hiddenCounts: [Int32: Double] = [:]
        var hiddenGroup = -1
        var hiddenLength = 0.0
        if let hidden {
            hiddenGroup = Int(titleGroup[hidden])
            for position in titleFeatureStart[hidden]..<titleFeatureStart[hidden + 1] {
                hiddenCounts[titleFeatures[position]] = titleFeatureCounts[position]
                hiddenLength += titleFeatureCounts[position]
            }
        }
        let weights = SIMD4<Double>(tuning.exampleTitles, tuning.labels, tuning.leadStatements, tuning.mainDuties)
        let b = SIMD4<Double>(tuning.b[0], tuning.b[1], tuning.b[2], tuning.b[3])
        let mean = SIMD4<Double>(meanFieldLength[0], meanFieldLength[1], meanFieldLength[2], meanFieldLength[3])
        let groupTotal = Double(groupCount)
        for (term, _) in features {
            let postings = groupPostingStart[Int(term)]..<groupPostingStart[Int(term) + 1]
            var documentFrequency = Double(postings.count)
            let removed = hiddenCounts[term] ?? 0
            if removed > 0, let own = postings.first(where: { groupPostings[$0].group == hiddenGroup }) {
                var counts = groupPostings[own].counts
                counts[0] -= removed
                if counts.sum() <= 0 { documentFrequency -= 1 }
            }
            guard documentFrequency > 0 else { continue }
            let idf = log(1 + (groupTotal - documentFrequency + 0.5) / (documentFrequency + 0.5))
            let kindWeight: Double = switch kinds[Int(term)] {
            case .word: tuning.words
            case .bigram: tuning.bigrams
            case .characters: tuning.characters
            }
            for position in postings {
                let posting = groupPostings[position]
                let group = Int(posting.group)
                var counts = posting.counts
                var lengths = SIMD4<Double>(fieldLength[group * 4], fieldLength[group * 4 + 1],
                                            fieldLength[group * 4 + 2], fieldLength[group * 4 + 3])
                if group == hiddenGroup {
                    counts[0] -= removed
                    lengths[0] -= hiddenLength
                }
                let normalised = (1 - b) + b * lengths / mean
                let pseudoCount = (weights * counts / normalised).sum()
                guard pseudoCount > 0 else { continue }
                bm25[group] += kindWeight * idf * pseudoCount / (tuning.k1 + pseudoCount)
            }
        }
        // The nearest single example title: cosine of unit TF-IDF vectors.
        var titleCosine = [Double](repeating: 0, count: titleText.count)
        var queryWeights: [(term: Int32, weight: Double)] = features.map { term, count in
            (term, Self.titleWeight(count: count, idf: titleIDF[Int(term)], kind: kinds[Int(term)],
                                    characterWeight: tuning.nearestTitleCharacters))
        }
        let queryNorm = max(sqrt(queryWeights.reduce(0) { $0 + $1.weight * $1.weight }), 1e-12)
        for index in queryWeights.indices { queryWeights[index].weight /= queryNorm }
        for (term, weight) in queryWeights {
            for position in titlePostingStart[Int(term)]..<titlePostingStart[Int(term) + 1] {
                let posting = titlePostings[position]
                titleCosine[Int(posting.title)] += weight * posting.weight
            }
        }
        if let hidden { titleCosine[hidden] = 0 }
        var nearest = [Double](repeating: 0, count: groupCount)
        for title in titleCosine.indices where titleCosine[title] > 0 {
            let group = Int(titleGroup[title])
            nearest[group] = max(nearest[group], titleCosine[title])
        }
        let bestBM25 = max(bm25.max() ?? 0, 1e-12)
        var final = (0..<groupCount).map { bm25[$0] / bestBM25 + tuning.nearestTitle * nearest[$0] }
        var scored = Scored(final: final, order: [], titleCosine: titleCosine, hidden: hidden)
        // The fuzzy scorer re-ranks the best groups (and the one asked about).
        if tuning.fuzzy > 0, !features.isEmpty {
            var reranked = Array(Self.order(final).prefix(tuning.fuzzyGroups))
            if let also, !reranked.contains(also) { reranked.append(also) }
            let query = FuzzyScorer.Prepared(NOCText.matchKey(text), query: true)
            var workspace = FuzzyScorer.Workspace()
            query.withView { queryView in
                for group in reranked {
                    var best = 0.0
                    titleKeys.withViews { views in
                        for title in scored.nearest(in: group, of: self).prefix(5) {
                            best = max(best, FuzzyScorer.wRatio(queryView, query.masks, views[title], above: best, workspace: &workspace))
                        }
                    }
                    labelKeys.withViews { views in
                        for label in groups[group].labels {
                            best = max(best, FuzzyScorer.wRatio(queryView, query.masks, views[label], above: best, workspace: &workspace))
                        }
                    }
                    final[group] += tuning.fuzzy * best / 100
                }
            }
        }
        scored.final = final
        scored.order = Self.order(final)
        return scored
    }

    /// Groups that scored, best first, ties by code (groups are in code order).
    static func order(_ scores: [Double]) -> [Int] {
        scores.indices.filter { scores[$0] > 0 }.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    }
}
