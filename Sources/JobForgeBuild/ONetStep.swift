import Foundation
import GRDB
import JobForgeCore
import JobForgeONet
import JobForgeStore

extension BuildPipeline {
    var onetFolder: URL { options.dataFolder.appendingPathComponent("onet/db_29_3_text") }
    var crosswalkFile: URL { options.dataFolder.appendingPathComponent("crosswalk/noc2021_onet26.csv") }
    var onetMappingFile: URL { options.dataFolder.appendingPathComponent("mappings/onet_oasis_descriptors.csv") }
    var guideFile: URL { options.dataFolder.appendingPathComponent("oasis/guide_oasis_2023_v1.0.csv") }

    /// Step 3: the crosswalk and the shipped O*NET release, then the O*NET tier for every unit
    /// group, stored as the O*NET layer: the unit groups and their profiles get these values
    /// when read, titles inherit them from their profile. Lower than authoritative: where OaSIS
    /// has a value the O*NET value is kept as a lower candidate; it fills importance and
    /// O*NET-only cells. Crosswalk, release and layer are one transaction.
    ///
    /// The step runs again when the shipped files change, when the authoritative data changes
    /// (the tier reads the guide's scales from the store), or when the store's O*NET ratings do
    /// (`onet import` of another release, `onet fetch`).
    func onetStep(store: SQLiteStore, runID: String) throws -> StepReport {
        let started = Date()
        let onetFiles = try FileManager.default.contentsOfDirectory(at: onetFolder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "txt" }.sorted { $0.path < $1.path }
        let inputs = try Fingerprint.files(onetFiles + [crosswalkFile, onetMappingFile, guideFile])
            + (try store.completedStep("authoritative")?.fingerprint ?? "") + ONetCalibration.version
        func fingerprint(_ db: Database) throws -> String { SHA256.hex(inputs + (try Self.onetRatingsKey(ONetArchive.releases(in: db)))) }
        if let done = try store.completedStep("onet"), done.fingerprint == (try store.dbQueue.read(fingerprint)) {
            return StepReport(name: "onet", status: .unchanged, detail: "same O*NET files, ratings and crosswalk as run \(done.runID)",
                              seconds: Date().timeIntervalSince(started),
                              warnings: try coverageWarnings(store, onetFingerprint: done.fingerprint))
        }
        // Files are read before the transaction; everything written, in it.
        let crosswalk = try Crosswalk.load(crosswalkFile)
        let database = try ONetDatabaseReader.read(onetFolder)
        let mapping = try ONetDescriptorMapping.load(onetMappingFile)
        let (descriptors, allScales) = mapping.onetOnlyDescriptors(contentModel: try ONetContentModel.load(folder: onetFolder))
        // The importance scale of OaSIS descriptors is declared once, with the guide's descriptors
        // (`importanceScales`); only the O*NET-only descriptors bring scales of their own here.
        let onetOnly = Set(descriptors.map(\.code))
        let scales = allScales.filter { onetOnly.contains($0.descriptorCode) }
        var detail = ""
        var warnings: [String] = []
        try store.commitStep("onet", fingerprint: fingerprint, runID: runID) { writer in
            let imported = try ONetImport.save(database, from: onetFolder, crosswalk: crosswalk, in: writer.db)
            Timing.mark("O*NET import")
            // Just loaded with every table the tier reads: the store holds exactly these ratings.
            let tiered: Set<ONetRatingTable> = [.skills, .knowledge, .abilities, .workActivities]
            let inHand = !imported.alreadyLoaded && tiered.isDisjoint(with: database.missingTables) ? database.ratings : nil
            let rule = try ONetImport.tier(in: writer.db, mapping: onetMappingFile, ratings: inHand)
            // Levels are converted, and their confidence measured, against the OaSIS levels of the
            // profiles O*NET also describes (the authoritative step's, in the fingerprint).
            let unitGroups = try ONetArchive.nocUnitGroupCodes(in: writer.db)
            let truth = try SQLiteStore.currentProfileRatings(dimension: .level, in: writer.db)
                .map { ProfileLevel(profile: $0.profile, descriptorCode: $0.descriptor, value: $0.value) }
            let calibration = ONetCalibration.measure(tier: rule, unitGroups: unitGroups, truth: truth)
            Timing.mark("O*NET calibration")
            let result = rule.calibrated(by: calibration).offers(forUnitGroups: unitGroups)
            Timing.mark("O*NET tier")
            try writer.upsertDescriptors(descriptors, scales: scales)
            let summary = try writer.storeONetOffers(result.offers)
            Timing.mark("O*NET layer")
            TestHooks.holdIfAsked(step: "onet")
            let gaps = result.gaps.map(\.unitGroup).sorted()
            detail = "\(imported.release): \(imported.ratings) ratings\(imported.alreadyLoaded ? " (already loaded)" : ""); "
                + "\(crosswalk.pairs.count) crosswalk pairs; \(result.offers.count) values offered to unit groups and their profiles; "
                + "cells \(summary.inserted) new (\(summary.filled) filled, \(summary.keptBelow) kept below authoritative), "
                + "\(summary.overridden) overridden, \(summary.unchanged) unchanged; "
                + "no O*NET data for \(gaps.count) unit groups: \(gaps.joined(separator: ", ")); "
                + "levels of \(calibration.descriptors.values.filter(\.usesFit).count) of \(calibration.descriptors.count) "
                + "measured descriptors converted by their fitted map"
            warnings = try Self.coverageWarnings(in: writer.db)
            return detail
        }
        // Kept with the steps, as the cell counts are, so that a build that changes nothing says
        // it without reading every O*NET rating again. Valid while the onet step's fingerprint is.
        let onetFingerprint = try store.completedStep("onet")?.fingerprint ?? ""
        try store.commitStep("onet-coverage", fingerprint: onetFingerprint, runID: runID) { _ in warnings.joined(separator: "\n") }
        return StepReport(name: "onet", status: .done, detail: detail, seconds: Date().timeIntervalSince(started),
                          warnings: warnings)
    }

    /// What the store's O*NET ratings lack (the shipped subset: Work Context, most of Abilities
    /// and Work Activities), in the words of `onet import`. Read from the store, not the shipped
    /// folder: after `onet import` of the full release there is nothing to say.
    static func coverageWarnings(in db: Database) throws -> [String] {
        [try ONetCoverage.stored(in: db).warning].compactMap { $0 }
    }

    /// ``coverageWarnings(in:)`` as kept by the last O*NET step of `onetFingerprint`, or read again.
    func coverageWarnings(_ store: SQLiteStore, onetFingerprint: String) throws -> [String] {
        if let kept = try store.completedStep("onet-coverage"), kept.fingerprint == onetFingerprint {
            return (kept.summary ?? "").split(separator: "\n").map(String.init)
        }
        return try store.dbQueue.read { try Self.coverageWarnings(in: $0) }
    }

    /// What the store's O*NET ratings are: every release or fetch loaded, and when.
    static func onetRatingsKey(_ releases: [ONetReleaseInfo]) -> String {
        releases.map { "\($0.origin.rawValue) \($0.fingerprint) \($0.loadedAt.timeIntervalSince1970) \($0.ratings)" }
            .joined(separator: "\n")
    }
}
