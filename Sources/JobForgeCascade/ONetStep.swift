import Foundation
import JobForgeCore
import JobForgeONet
import JobForgeStore

extension BuildPipeline {
    var onetFolder: URL { options.dataFolder.appendingPathComponent("onet/db_29_3_text") }
    var crosswalkFile: URL { options.dataFolder.appendingPathComponent("crosswalk/noc2021_onet26.csv") }
    var onetMappingFile: URL { options.dataFolder.appendingPathComponent("mappings/onet_oasis_descriptors.csv") }
    var guideFile: URL { options.dataFolder.appendingPathComponent("oasis/guide_oasis_2023_v1.0.csv") }

    /// Step 3: the crosswalk and the shipped O*NET release, then the O*NET tier for every unit
    /// group and profile (titles inherit their profile's O*NET values when read). Lower than
    /// authoritative: where OaSIS has a value the O*NET value is kept as a lower candidate; it
    /// fills importance and O*NET-only cells.
    func onetStep(store: SQLiteStore, runID: String) throws -> StepReport {
        let started = Date()
        let onetFiles = try FileManager.default.contentsOfDirectory(at: onetFolder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "txt" }.sorted { $0.path < $1.path }
        let fingerprint = SHA256.hex(try Fingerprint.files(onetFiles + [crosswalkFile, onetMappingFile, guideFile])
                                     + (try store.completedStep("authoritative")?.fingerprint ?? ""))
        if let done = try store.completedStep("onet"), done.fingerprint == fingerprint {
            return StepReport(name: "onet", status: "unchanged", detail: "same O*NET files and crosswalk as run \(done.runID)",
                              seconds: Date().timeIntervalSince(started))
        }
        let crosswalk = try Crosswalk.load(crosswalkFile)
        try store.replaceONetCrosswalk(crosswalk.pairs)
        let imported = try ONetImport.importDatabase(onetFolder, into: store)
        Timing.mark("O*NET import")
        let tier = try ONetImport.tier(from: store, mapping: onetMappingFile, guide: guideFile)

        var subjects: [ONetSubject] = try store.nocUnitGroupCodes().map { ONetSubject(subject: .unitGroup($0), unitGroup: $0) }
        subjects += try store.profileCodes().map { ONetSubject(subject: .profile($0), unitGroup: Codes.unitGroup(ofProfile: $0)) }
        let result = tier.candidates(for: subjects)
        Timing.mark("O*NET tier")

        let mapping = try ONetDescriptorMapping.load(onetMappingFile)
        let (descriptors, allScales) = mapping.onetOnlyDescriptors(contentModel: try ONetContentModel.load(folder: onetFolder))
        // The importance scale of OaSIS descriptors is declared once, with the guide's descriptors
        // (`importanceScales`); only the O*NET-only descriptors bring scales of their own here.
        let onetOnly = Set(descriptors.map(\.code))
        let scales = allScales.filter { onetOnly.contains($0.descriptorCode) }
        var detail = ""
        try store.commitStep("onet", fingerprint: fingerprint, runID: runID) { writer in
            try writer.upsertDescriptors(descriptors, scales: scales)
            let summary = try writer.submit(result.candidates, runID: runID)
            Timing.mark("O*NET candidates")
            let gaps = result.gaps.map(\.unitGroup).sorted()
            detail = "\(imported.release): \(imported.ratings) ratings\(imported.alreadyLoaded ? " (already loaded)" : ""); "
                + "\(crosswalk.pairs.count) crosswalk pairs; cells \(summary.inserted) new (\(summary.filled) filled, "
                + "\(summary.keptBelow) kept below authoritative), \(summary.overridden) overridden, \(summary.unchanged) unchanged; "
                + "no O*NET data for \(gaps.count) unit groups: \(gaps.joined(separator: ", "))"
            return detail
        }
        return StepReport(name: "onet", status: "done", detail: detail, seconds: Date().timeIntervalSince(started))
    }
}
