import Foundation

/// Where the repository's files are, found from this source file so tests run from any directory.
public enum RepoPaths {
    public static let root: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent() // JobForgeTestSupport
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent()
    }()

    /// The shipped data (`data/`): the real NOC, OaSIS, crosswalk and O*NET files.
    public static var data: URL { root.appendingPathComponent("data") }
    /// Test-only inputs (`Tests/Fixtures/`): the TBS pages, scorer vectors, hand-made files.
    public static var fixtures: URL { root.appendingPathComponent("Tests/Fixtures") }
}

/// A fresh directory under the system's temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "jobforge-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
