import JobForgeCLI

await JobForgeCommand.main()
