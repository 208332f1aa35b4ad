import Foundation

/// The cascade's structure, declared once: which inputs feed each kind of subject, and which
/// subjects must be reconciled when an input changes. ``Precedence`` decides among a cell's
/// candidates; this type says who the candidates are. The store's reader, its two reconcile
/// paths, the titles' snapshot and the build-summary counter all follow it.
///
/// ```
/// profile (L6)     <- its OaSIS ratings, the O*NET offers of its unit group, stored candidates
/// unit group (L5)  <- UnitGroupRule(its rated profiles' authoritative winners),
///                     the O*NET offers of itself, stored candidates
/// job title (L7)   <- TitleInheritanceRule(its resolution, its profile's cells), stored candidates
/// ```
///
/// A change to an input changes the cells of every subject that reads it. Most of those cells
/// are derived when read and simply follow; the subjects to *reconcile* (stored winner flags
/// brought in line, each change of winner logged) are the readers that hold something of their
/// own: stored candidates, or values read directly from the changed input before the change.
public enum CascadeGraph {
    /// Where a subject's candidates come from.
    public enum Input: String, Sendable, CaseIterable {
        /// The authoritative layer: the profile's own OaSIS ratings, every load.
        case ratings
        /// `UnitGroupRule` over the authoritative winners of the unit group's rated profiles.
        case unitGroupRule
        /// The O*NET layer: what O*NET offers the subject's unit group, every load.
        case onetOffers
        /// `TitleInheritanceRule` over the resolved profile's cells.
        case titleInheritance
        /// Candidates stored for the subject itself (LLM answers, submitted values).
        case stored

        /// Whether the subject reads the layer's rows as they are (not through a rule): such a
        /// subject held values from the input before a change, and its changes of winner are logged.
        public var readsLayerDirectly: Bool { self == .ratings || self == .onetOffers }
    }

    /// The inputs of a kind of subject, in the order the reader gathers them.
    public static func inputs(of kind: Subject.Kind) -> [Input] {
        switch kind {
        case .profile: [.ratings, .onetOffers, .stored]
        case .unitGroup: [.unitGroupRule, .onetOffers, .stored]
        case .title: [.titleInheritance, .stored]
        }
    }

    /// A change to an input of the cascade.
    public enum Change: Sendable, Equatable {
        /// A new load of these profiles' OaSIS ratings.
        case ratings(profiles: [String])
        /// A new load of what O*NET offers these unit groups.
        case offers(unitGroups: [String])
        /// Job titles were (re)imported or (re)resolved (an import, a re-resolution, an applied
        /// suggestion): their resolutions and their contexts may have changed.
        case resolutions
    }

    /// What the graph needs to know of a store to name the subjects a change reaches.
    public protocol Topology {
        /// Every OaSIS profile of a unit group (with a record or with ratings).
        func profiles(ofUnitGroup unitGroup: String) throws -> [String]
        /// The resolved titles and the profile each resolved to.
        func resolvedProfileOfTitles() throws -> [String: String]
        /// Subjects holding stored candidates of their own.
        func subjectsHoldingCandidates() throws -> [Subject]
        /// Whether the subject held values read directly from `input` before the change.
        func held(_ input: Input, subject: Subject) throws -> Bool
    }

    /// The subjects to reconcile after `change`, each once, in a stable order: the direct
    /// readers that held values of the input, then the holders of stored candidates among the
    /// input's readers.
    ///
    /// - Parameters:
    ///   - change: what changed.
    ///   - topology: the store's subjects and resolutions, read before the change is written.
    /// - Returns: the subjects whose winners can change and that hold something beyond derived values.
    public static func dependents(of change: Change, in topology: some Topology) throws -> [Subject] {
        var result: [Subject] = []
        var seen: Set<Subject> = []
        func add(_ subject: Subject) { if seen.insert(subject).inserted { result.append(subject) } }

        // The input that changed, and whether a subject reads it (directly or through a rule).
        let changed: Input
        var reached = Reach()
        var directReaders: [Subject] = []
        switch change {
        case .ratings(let profiles):
            changed = .ratings
            reached.profiles = Set(profiles)
            reached.unitGroups = Set(profiles.map(Codes.unitGroup(ofProfile:)))
            directReaders = profiles.map(Subject.profile)
        case .offers(let unitGroups):
            changed = .onetOffers
            reached.unitGroups = Set(unitGroups)
            reached.profilesOfUnitGroups = true
            for unitGroup in unitGroups {
                directReaders.append(.unitGroup(unitGroup))
                directReaders += try topology.profiles(ofUnitGroup: unitGroup).map(Subject.profile)
            }
        case .resolutions:
            changed = .titleInheritance
            reached.titles = true
        }
        // Direct readers that held values of the input: their changes of winner are logged.
        if changed.readsLayerDirectly {
            for subject in directReaders where try topology.held(changed, subject: subject) { add(subject) }
        }
        // Readers holding stored candidates: their stored winner flags can go stale.
        let holders = try topology.subjectsHoldingCandidates()
        let titleProfiles = holders.contains { $0.kind == .title } ? try topology.resolvedProfileOfTitles() : [:]
        for subject in holders where reached.reads(subject, titleProfiles: titleProfiles) { add(subject) }
        return result
    }

    /// Whether a stored candidate counts in its cell: one produced for a context of its subject
    /// (an LLM answer, for the title as it was asked) counts only while the subject's context is
    /// the same; when the title's text, codes or profile change, the answer stops winning (the
    /// change is logged) and the cell is empty again, to be asked anew.
    ///
    ///     counts(askedContext: nil, currentContext: "x")    // true: not tied to a context
    ///     counts(askedContext: "x", currentContext: "x")    // true
    ///     counts(askedContext: "x", currentContext: "y")    // false: asked about another title
    public static func counts(askedContext: String?, currentContext: String?) -> Bool {
        askedContext == nil || askedContext == currentContext
    }

    /// The readers a change reaches, directly or through a rule.
    private struct Reach {
        var profiles: Set<String> = []
        var unitGroups: Set<String> = []
        /// Every profile of the reached unit groups (O*NET offers a unit group's profiles).
        var profilesOfUnitGroups = false
        /// Every title (a change of resolutions).
        var titles = false

        func reaches(profile: String) -> Bool {
            profiles.contains(profile) || (profilesOfUnitGroups && unitGroups.contains(Codes.unitGroup(ofProfile: profile)))
        }

        /// Whether `subject` reads what changed: a unit group by its rule or offers, a profile by
        /// its ratings or offers, a title through the profile it inherits from.
        func reads(_ subject: Subject, titleProfiles: [String: String]) -> Bool {
            switch subject.kind {
            case .unitGroup: unitGroups.contains(subject.code)
            case .profile: reaches(profile: subject.code)
            case .title: titles || (titleProfiles[subject.code].map(reaches(profile:)) ?? false)
            }
        }
    }
}
