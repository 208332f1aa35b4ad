/// One NOC 2021 unit group as OaSIS describes it: what the coder indexes. Whoever reads the
/// data (the store's reference tables, the OaSIS files) makes these; the coder reads nothing.
///
/// ```swift
/// UnitGroupDocument(code: "31301", title: "Registered nurses and registered psychiatric nurses",
///                   labels: ["Registered nurses and registered psychiatric nurses"],
///                   exampleTitles: ["registered nurse (R.N.)", "clinical nurse", ...],
///                   leadStatements: ["Registered nurses and registered psychiatric nurses provide ..."],
///                   mainDuties: ["Assess patients to identify appropriate nursing interventions", ...])
/// ```
public struct UnitGroupDocument: Sendable, Equatable {
    /// The five-digit unit group code, `31301`.
    public var code: String
    /// The NOC unit group title.
    public var title: String
    /// The labels of the group's OaSIS profiles (`31301.00`, ...).
    public var labels: [String]
    /// The OaSIS example titles of the group's profiles (example, index and inclusion titles).
    public var exampleTitles: [String]
    public var leadStatements: [String]
    public var mainDuties: [String]

    public init(code: String, title: String, labels: [String] = [], exampleTitles: [String] = [],
                leadStatements: [String] = [], mainDuties: [String] = []) {
        self.code = code
        self.title = title
        self.labels = labels
        self.exampleTitles = exampleTitles
        self.leadStatements = leadStatements
        self.mainDuties = mainDuties
    }
}
