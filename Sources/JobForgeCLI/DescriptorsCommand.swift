import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeStore

/// `jobforge descriptors`: the OaSIS guide's descriptors with their scales.
public struct DescriptorsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "descriptors",
        abstract: "List descriptors with code, name, category, scale and definition from the OaSIS guide."
    )

    @Option(name: .long, help: "Only this category.")
    public var category: Category?

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let db = try store.openStoreForReading()
        let list = try db.descriptors(category: category)
        if output.json {
            try Terminal.printJSON(list)
            return
        }
        var current = ""
        for info in list {
            if info.descriptor.category.rawValue != current {
                current = info.descriptor.category.rawValue
                print("\n\(current.uppercased())")
            }
            let scales = info.scales.map(\.summary).joined(separator: "; ")
            print("  \(info.descriptor.code.padding(toLength: 8, withPad: " ", startingAt: 0)) \(info.descriptor.name)  [\(scales.isEmpty ? "no scale stated" : scales)]")
            print(Formatting.wrap(info.descriptor.definition, indent: "           "))
        }
    }
}
