import Foundation

// Benchmarks: programs that time JobForge's main jobs. Their figures go in the issue notes,
// never into tests. Usage: swift run -c release jobforge-bench <name> [options]
let arguments = Array(CommandLine.arguments.dropFirst())
let usage = "usage: jobforge-bench build|titles|export|onet|onet-import|tbs|llm|noc-coder|report|serve|model|evaluate-llm|publish [options]"
guard let name = arguments.first else {
    print(usage)
    exit(2)
}
let rest = Array(arguments.dropFirst())
switch name {
case "build": try await runBuildBenchmark(arguments: rest)
case "titles": try await runTitlesBenchmark(arguments: rest)
case "export": try runExportBenchmark(arguments: rest)
case "tbs": try await runTBSBenchmark(arguments: rest)
case "llm": try await runLLMBenchmark(arguments: rest)
case "onet": try await runONetBenchmark(arguments: rest)
case "onet-import": try await runONetImportBenchmark(arguments: rest)
case "noc-coder": try await runNOCCoderBenchmark(arguments: rest)
case "report": try await runReportBenchmark(arguments: rest)
case "serve": try await runServeBenchmark(arguments: rest)
case "model": try await runModelBenchmark(arguments: rest)
case "evaluate-llm": try await runEvaluateLLMBenchmark(arguments: rest)
case "publish": try await runPublishBenchmark(arguments: rest)
default:
    print(usage)
    exit(2)
}
