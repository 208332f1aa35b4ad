import Foundation

/// The winner rule, in one place: a higher-precedence source always wins; among
/// candidates of the same precedence the newer one wins; a tie in time keeps the
/// incumbent, so re-offering a value never flips a cell back and forth.
public enum Precedence {
    /// Whether `challenger` takes the cell from `incumbent`.
    public static func replaces(_ challenger: Candidate, incumbent: Candidate) -> Bool {
        replaces(challengerPrecedence: challenger.precedence, challengerTime: challenger.observedAt,
                 incumbentPrecedence: incumbent.precedence, incumbentTime: incumbent.observedAt)
    }

    public static func replaces(challengerPrecedence: Int, challengerTime: Date,
                                incumbentPrecedence: Int, incumbentTime: Date) -> Bool {
        if challengerPrecedence != incumbentPrecedence { return challengerPrecedence > incumbentPrecedence }
        return challengerTime > incumbentTime
    }

    /// Why a challenger replaced an incumbent, in the words of the override log.
    public static func reason(challenger: Source, incumbent: Source) -> String {
        if challenger.precedence > incumbent.precedence {
            return "higher precedence: \(challenger.rawValue) (\(challenger.precedence)) over \(incumbent.rawValue) (\(incumbent.precedence))"
        }
        return "newer value from the same source tier (\(challenger.rawValue))"
    }

    /// The winner among candidates for one cell, by the rule above (order of arrival as the tiebreak).
    public static func winner(of candidates: [Candidate]) -> Candidate? {
        winnerIndex(candidates).map { candidates[$0] }
    }

    /// Where the winner stands among candidates in order of arrival; nil when there are none.
    public static func winnerIndex<Candidates: Collection<Candidate>>(_ candidates: Candidates) -> Candidates.Index? {
        var best = candidates.startIndex
        guard best != candidates.endIndex else { return nil }
        for index in candidates.indices.dropFirst() where replaces(candidates[index], incumbent: candidates[best]) {
            best = index
        }
        return best
    }
}
