import JobForgeCLI

/// The executable: everything lives in JobForgeCLI so that tests and benchmarks can run commands.
@main
struct JobForgeMain {
    static func main() async {
        await JobForgeCommand.main()
    }
}
