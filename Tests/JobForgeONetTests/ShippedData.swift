import Foundation
import JobForgeCore
import JobForgeOaSIS
@testable import JobForgeONet
import JobForgeTestSupport

/// The shipped O*NET data, read once for all tests (a global `let` is initialized once, thread-safely).
enum Shipped {
    static let onetFolder = RepoPaths.data.appendingPathComponent("onet/db_29_3_text")
    static let crosswalkURL = RepoPaths.data.appendingPathComponent("crosswalk/noc2021_onet26.csv")
    static let mappingURL = RepoPaths.data.appendingPathComponent("mappings/onet_oasis_descriptors.csv")
    static let guideURL = RepoPaths.data.appendingPathComponent("oasis/guide_oasis_2023_v1.0.csv")

    static let database: ONetDatabase = try! ONetDatabaseReader.read(onetFolder)
    static let crosswalk: Crosswalk = try! Crosswalk.load(crosswalkURL)
    static let mapping: ONetDescriptorMapping = try! ONetDescriptorMapping.load(mappingURL)
    /// The level scales as the store holds them after the authoritative step (JobForgeOaSIS reads the guide).
    static let scales = OaSISLevelScales(try! OaSISDataset.load(OaSISFiles(dataFolder: RepoPaths.data)).scales)
    static let tier = ONetTier(crosswalk: crosswalk, ratings: ONetRatingIndex(database.ratings), mapping: mapping,
                               oasisScales: scales, release: database.releaseName)
}
