/// What the offline coder says of a title's NOC code: for the review queue.
///
/// ```swift
/// let audit = coder.audit(title: "registered nurse", givenCode: "72400")
/// audit.verdict                  // .inDoubt: 72400 ranks far down, 31301 fits much better
/// audit.candidates[0].code       // "31301", with its matched example titles
/// audit.given?.rank              // where 72400 stands
/// coder.audit(title: "registered nurse", givenCode: nil).candidates   // the top 5 for a title with no code
/// ```
///
/// The rule (`CodeAudit.Rule`): a given code is *in doubt* when its unit group is not among the
/// `top` best (5) and the best group's score is at least `ratio` (1.5) times the given group's.
/// Both must hold: a code outside the top 5 among close scores is a judgment call, not an error.
/// On the shipped sample architecture this flags few titles (see `jobforge-bench noc-coder`).
public struct CodeAudit: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        /// The given code ranks well, or nothing fits much better.
        case fits
        /// The given code ranks poorly and another unit group fits much better.
        case inDoubt = "in_doubt"
        /// No code was given: `candidates` are the suggestions.
        case noCode = "no_code"
        /// The given code is not a NOC 2021 unit group the coder knows.
        case unknownCode = "unknown_code"
    }

    /// The given unit group as the coder ranks it for the title.
    public struct Given: Sendable, Equatable, Codable {
        public var rank: Int
        public var candidate: NOCCoder.Candidate
    }

    /// When a given code is in doubt.
    public struct Rule: Sendable, Equatable {
        /// The given group is in doubt only when it is not among this many best.
        public var top = 5
        /// ... and the best score is at least this many times the given group's.
        public var ratio = 1.5
        public init(top: Int = 5, ratio: Double = 1.5) {
            self.top = top
            self.ratio = ratio
        }
    }

    public var title: String
    public var givenCode: String?
    public var verdict: Verdict
    public var given: Given?
    /// The best unit groups, best first, with their evidence.
    public var candidates: [NOCCoder.Candidate]

    /// One line for a person: `in doubt: 72400 ranks 38th (0.21); 31301 Registered nurses ... fits
    /// better (1.93: registered nurse (R.N.), ...)`.
    public var explanation: String {
        let best = candidates.first.map { "\($0.code) \($0.title) (\(Self.format($0.score))\(Self.evidence($0)))" } ?? "no unit group"
        switch verdict {
        case .noCode: return "no code: best \(best)"
        case .unknownCode: return "\(givenCode ?? "") is not a NOC 2021 unit group; best \(best)"
        case .fits, .inDoubt:
            let standing = given.map { "\($0.candidate.code) ranks \($0.rank) (\(Self.format($0.candidate.score)))" } ?? ""
            return verdict == .fits ? "fits: \(standing)" : "in doubt: \(standing); \(best) fits much better"
        }
    }

    static func format(_ score: Double) -> String { String(format: "%.2f", score) }
    static func evidence(_ candidate: NOCCoder.Candidate) -> String {
        candidate.matchedTitles.isEmpty ? "" : ": " + candidate.matchedTitles.joined(separator: ", ")
    }
}

extension NOCCoder {
    /// Audits `givenCode` (a five-digit unit group, or nil) for `title`; `top` candidates come with it.
    public func audit(title: String, givenCode: String?, rule: CodeAudit.Rule = CodeAudit.Rule(), top: Int = 5) -> CodeAudit {
        let group = givenCode.flatMap { code in groups.firstIndex { $0.code == code } }
        let scored = score(title, leavingOut: nil, also: group)
        let candidates = candidates(scored, top: top)
        guard let givenCode else {
            return CodeAudit(title: title, givenCode: nil, verdict: .noCode, given: nil, candidates: candidates)
        }
        guard let (rank, given) = standing(of: givenCode, for: scored) else {
            return CodeAudit(title: title, givenCode: givenCode, verdict: .unknownCode, given: nil, candidates: candidates)
        }
        let bestScore = candidates.first?.score ?? 0
        let inDoubt = rank > rule.top && bestScore > 0 && bestScore >= rule.ratio * given.score
        return CodeAudit(title: title, givenCode: givenCode, verdict: inDoubt ? .inDoubt : .fits,
                         given: .init(rank: rank, candidate: given), candidates: candidates)
    }
}
