import Foundation

// Benchmarks: programs that time JobForge's main jobs. Their figures go in the issue notes,
// never into tests. Usage: swift run -c release jobforge-bench <name>
let arguments = CommandLine.arguments.dropFirst()
print("benchmarks: \(arguments)")
